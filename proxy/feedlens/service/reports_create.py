"""POST /api/reports: one report per click. The report and its whole evidence bundle are
committed in one SQLite transaction before the service answers, and only that answer hands
the prepared request to the browser (see reports_api).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from urllib.parse import urlsplit

from aiohttp import web

from ..reports import bundle, notices, ratelimit, store as rstore, templates
from . import validate as v
from .errors import ApiError, json_response
from .reports_common import (ReportSettings, adapter_for, limited, load_categories, public,
                             runtime_of, settings_of)

log = logging.getLogger(__name__)

MAX_REPORT_BODY = 12 * 1024 * 1024  # an 8 MiB screenshot, base64-encoded, plus the fields
PLATFORM = re.compile(r"^[a-z0-9_]{1,64}$")
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
# .invalid is reserved (RFC 2606): the placeholder can never be mistaken for a real address
DSA_PLACEHOLDERS = {"name": "[your name]", "email": "your-email@example.invalid"}

CREATE_FIELDS = {"platform": str, "item_id": str, "kind": str, "category": str,
                 "description": str, "page_url": str, "screenshot": str, "target": dict,
                 "client_request_id": str, "lang": str}
CREATE_REQUIRED = frozenset({"platform", "item_id", "kind", "category", "page_url",
                             "client_request_id"})


async def read_large_json(request: web.Request, fields: dict[str, type],
                          required: frozenset[str], limit: int) -> dict:
    """Like validate.json_body, with this route's own size limit (screenshots are big)."""
    if request.content_type != "application/json":
        raise ApiError(415, "request body must be JSON (Content-Type: application/json)")
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"request body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(256 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    # off the event loop: the proxy shares it, and a body may be megabytes
    data = await v.off_loop(v.parse_json, b"".join(chunks))
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    v.check_fields(data, fields, required)
    return data


def check_create(body: dict) -> dict:
    """The body's values within their limits; the description is optional."""
    if not PLATFORM.fullmatch(body["platform"]):
        raise ApiError(400, "platform must be a platform id such as 'bilibili'")
    if not CLIENT_REQUEST_ID.fullmatch(body["client_request_id"]):
        raise ApiError(400, "client_request_id must be 8 to 128 letters, digits, '-' or '_'")
    for name, most in (("item_id", 128), ("kind", 64), ("category", 128)):
        if not 0 < len(body[name]) <= most:
            raise ApiError(400, f"{name} must be 1 to {most} characters")
    if len(body.get("description", "")) > 2000:
        raise ApiError(400, "description is at most 2000 characters")
    if body.get("lang", "zh") not in ("zh", "en"):
        raise ApiError(400, "lang must be zh or en")
    url = body["page_url"]
    if len(url) > 4096 or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ApiError(400, "page_url must be an http(s) URL of at most 4096 characters")
    check_target(body.get("target"))
    return body


def check_target(target: dict | None) -> None:
    if target is None:
        return
    if len(target) > 16:
        raise ApiError(400, "target has at most 16 fields")
    for key, value in target.items():
        if len(key) > 64 or isinstance(value, bool) or not isinstance(value, (str, int)) \
                or len(str(value)) > 256:
            raise ApiError(400, f"target field {key!r} must be a string or integer "
                                "(at most 256 characters)")


async def resolve_item(runtime, platform: str, item_id: str, kind: str) -> dict:
    """item.json: the item from memory, else the item log's latest row, else only the page's id."""
    seen = runtime.recent.get(platform, item_id)
    if seen is not None:
        return bundle.item_evidence("recent", seen["item"], seen["seen"], seen["response_url"])
    row = (await runtime.store.marks(platform, [item_id])).get(item_id)
    if row is not None:
        return bundle.item_evidence("item_log", {"platform": platform, **row}, row["time"], None)
    return bundle.item_evidence("page", {"platform": platform, "id": item_id, "kind": kind},
                                None, None)


def category_record(category) -> dict:
    return dataclasses.asdict(category)


def bundle_notices(category, item: dict, page_url: str, description: str) -> dict[str, str]:
    """The national and EU channel texts that apply; the DSA notice has placeholders for the
    notifier (GET …/notice fills them in). A text that cannot be made is left out, not fatal."""
    texts = {}
    explanation = description or templates.default_description(category, "en")
    makers = {"12377": lambda: notices.text_12377(category, item, page_url, description, "zh"),
              "dsa": lambda: notices.dsa_notice(category, item, page_url, explanation,
                                                DSA_PLACEHOLDERS["name"],
                                                DSA_PLACEHOLDERS["email"])}
    for channel, applies in (("12377", category.channel_12377), ("dsa", category.dsa)):
        if not applies:
            continue
        try:
            texts[channel] = makers[channel]()
        except ValueError as exc:
            log.warning("feedlens: report notice %s left out of the bundle: %s", channel, exc)
    return texts


async def create(request: web.Request) -> web.Response:
    body = check_create(await read_large_json(request, CREATE_FIELDS, CREATE_REQUIRED,
                                              MAX_REPORT_BODY))
    runtime, settings = runtime_of(request), settings_of(request)
    existing = await runtime.store.run_read(
        lambda conn: rstore.find_client_request(conn, body["client_request_id"]))
    if existing is not None:
        return await _replay(runtime, existing, settings)
    adapter = adapter_for(runtime, body["platform"])
    if not adapter.report:
        raise ApiError(404, f"{adapter.platform} has no report section in its adapter")
    kind, description = body["kind"], body.get("description", "")
    kinds = templates.report_kinds(adapter)
    if kind not in kinds:
        raise ApiError(400, f"kind must be one of {', '.join(kinds)} on {adapter.platform}")
    category = (await load_categories(request)).get(body["category"])
    if category is None:
        raise ApiError(400, f"unknown category {body['category']!r}")
    screenshot = await _screenshot(body.get("screenshot"))
    evidence = await resolve_item(runtime, adapter.platform, body["item_id"], kind)
    item = bundle.template_item(evidence, kind)
    try:
        prepared = templates.prepare(adapter, kind, category.id, item, description,
                                     body.get("target"), lang=body.get("lang"))
    except ValueError as exc:  # templates.ReportError: unknown kind, missing item fields
        raise ApiError(400, f"cannot prepare the report: {exc}") from None
    now = settings.clock()
    parts = await asyncio.to_thread(
        bundle.build_parts, item=evidence, request=prepared, screenshot=screenshot, created=now,
        notices=bundle_notices(category, item, body["page_url"], description),
        context=bundle.context(
            client_request_id=body["client_request_id"], page_url=body["page_url"],
            platform=adapter.platform, kind=kind, item_id=body["item_id"],
            category=category_record(category), reason=prepared.get("reason"),
            mode=prepared["mode"], description=description, target=body.get("target"),
            item_seen=evidence["seen"], created=now))
    new = rstore.NewReport(
        client_request_id=body["client_request_id"], platform=adapter.platform, kind=kind,
        item_id=body["item_id"], category=category.id, reason=prepared.get("reason"),
        mode=prepared["mode"], page_url=body["page_url"], created=now, request=prepared)
    outcome, value = await runtime.store.run_write(lambda conn: _store_new(conn, new, parts,
                                                                           settings))
    if outcome == "limited":
        raise limited(adapter.platform, value, settings.limit)
    if outcome == "existing":  # the same click raced in twice; the first one won
        return await _replay(runtime, value, settings)
    report = await runtime.store.run_read(lambda conn: rstore.get(conn, value))
    return json_response({"report": public(report, settings, now, parts), "request": prepared},
                         status=201)


def _store_new(conn, new: rstore.NewReport, parts, settings: ReportSettings):
    """One transaction: idempotency, the rate limit, then the report with its whole bundle."""
    existing = rstore.find_client_request(conn, new.client_request_id)
    if existing is not None:
        return "existing", existing
    wait = settings.limit.retry_after(
        rstore.send_times(conn, new.platform, new.created - ratelimit.HOUR), new.created)
    if wait is not None:
        return "limited", wait
    return "created", rstore.insert(conn, new, parts)


async def _screenshot(data_url: str | None):
    if not data_url:
        return None
    try:
        return await asyncio.to_thread(bundle.decode_screenshot, data_url)
    except bundle.BundleError as exc:
        raise ApiError(exc.status, str(exc)) from None


async def _replay(runtime, report_id: int, settings: ReportSettings) -> web.Response:
    """The report an earlier identical click made. Its request is handed out again only while
    no answer came back, so a repeated POST cannot make the browser send twice after one."""
    report = await runtime.store.run_read(lambda conn: rstore.get(conn, report_id))
    awaiting = report["status"] in ("stored", "manual")
    return json_response({"report": public(report, settings, settings.clock()),
                          "request": report["request"] if awaiting else None, "existing": True})
