"""The reports routes: choices for the picker, one report per click, results, retries, history.

The order that matters: a report and its whole evidence bundle are committed in one SQLite
transaction before the service answers, and only that answer hands the prepared request to
the browser. The request carries `{cookie:NAME}` placeholders that only the content script
fills, on the platform's own page, so cookies never reach feedlens. Nothing is deleted when
something fails; a `failed` report can be retried, and so can one whose browser never
reported back within `result_timeout`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from ..language import pick_language
from ..reports import bundle, categories, notices, ratelimit, store as rstore, templates
from ..reports.ratelimit import RateLimit
from . import validate as v
from .config import CONFIG
from .errors import ApiError, json_response

log = logging.getLogger(__name__)

MAX_REPORT_BODY = 12 * 1024 * 1024  # an 8 MiB screenshot, base64-encoded, plus the fields
MAX_RESULT_BODY = 64 * 1024
RESULT_TIMEOUT = 300.0  # a hand-out with no result after this long counts as failed on retry
ENV_RESULT_TIMEOUT = "FEEDLENS_REPORT_RESULT_TIMEOUT"
PLATFORM = re.compile(r"^[a-z0-9_]{1,64}$")
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
EMAIL = re.compile(r"^[^@\s]{1,128}@[^@\s]{1,253}$")
# .invalid is reserved (RFC 2606): the placeholder can never be mistaken for a real address
DSA_PLACEHOLDERS = {"name": "[your name]", "email": "your-email@example.invalid"}

CREATE_FIELDS = {"platform": str, "item_id": str, "kind": str, "category": str,
                 "description": str, "page_url": str, "screenshot": str, "target": dict,
                 "client_request_id": str, "lang": str}
CREATE_REQUIRED = frozenset({"platform", "item_id", "kind", "category", "page_url",
                             "client_request_id"})
RESULT_FIELDS = {"http_status": int, "body": str, "error": str}


@dataclass
class ReportSettings:
    limit: RateLimit = field(default_factory=RateLimit)
    result_timeout: float = RESULT_TIMEOUT
    clock: Callable[[], float] = time.time  # tests move time instead of sleeping


SETTINGS = web.AppKey("feedlens_reports", ReportSettings)


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/reports/choices", choices, name="reports_choices")
    router.add_post("/api/reports", create, name="reports_create")
    router.add_get("/api/reports", list_reports, name="reports_list")
    router.add_get(r"/api/reports/{id:\d{1,18}}", detail, name="report_detail")
    router.add_post(r"/api/reports/{id:\d{1,18}}/result", result, name="report_result")
    router.add_post(r"/api/reports/{id:\d{1,18}}/retry", retry, name="report_retry")
    router.add_get(r"/api/reports/{id:\d{1,18}}/notice", notice, name="report_notice")
    from . import reports_page  # the page reads reports through this module's helpers

    reports_page.setup(app)
    app[SETTINGS] = settings_from_env()


def settings_from_env() -> ReportSettings:
    import os

    try:
        limit = RateLimit.from_env()
        timeout = float(os.environ.get(ENV_RESULT_TIMEOUT) or RESULT_TIMEOUT)
    except ValueError as exc:  # a typo in the environment must not stop the proxy
        log.warning("feedlens: %s; using the default report limits", exc)
        return ReportSettings()
    return ReportSettings(limit=limit, result_timeout=timeout)


def _runtime(request: web.Request):
    return request.app[CONFIG].runtime


def _settings(request: web.Request) -> ReportSettings:
    return request.app[SETTINGS]


# ---- adapters and categories ---------------------------------------------------------------

def adapter_for(runtime, platform: str):
    for adapter in runtime.engine.adapters.adapters:
        if adapter.platform == platform:
            return adapter
    raise ApiError(404, f"no adapter for platform {platform!r}")


def _rules_for_categories(request: web.Request):
    """The runtime's rules dir when it has categories.yaml, else the bundled one."""
    rules_dir = request.app[CONFIG].rules_dir
    return rules_dir if (rules_dir / "categories.yaml").is_file() else None


async def load_categories(request: web.Request) -> dict[str, categories.Category]:
    try:
        found = await asyncio.to_thread(categories.load_categories, _rules_for_categories(request))
    except ValueError as exc:
        raise ApiError(500, "the report categories file is invalid",
                       str(exc).splitlines()) from None
    return {category.id: category for category in found}


# ---- choices -------------------------------------------------------------------------------

async def choices(request: web.Request) -> web.Response:
    params = v.query(request, {"platform": v.text(64), "kind": v.text(64),
                               "lang": v.choice(("zh", "en"))}, required=frozenset({"platform"}))
    lang = params.get("lang") or pick_language(request.headers.get("Accept-Language"))
    adapter = adapter_for(_runtime(request), params["platform"])
    kinds = templates.report_kinds(adapter) if adapter.report else []
    kind = params.get("kind") or (kinds[0] if kinds else None)
    if kinds and kind not in kinds:
        raise ApiError(400, f"kind must be one of {', '.join(kinds)} on {adapter.platform}")
    rows = templates.choices(adapter, kind, lang) if kinds else []
    found = await load_categories(request)
    listed = [found[row["category"]] for row in rows if row["category"] in found]
    return json_response({
        "platform": adapter.platform, "kind": kind if kinds else None, "kinds": kinds,
        "choices": rows,
        "channels": {"12377": any(c.channel_12377 for c in listed),
                     "dsa": any(c.dsa for c in listed)}})


# ---- create --------------------------------------------------------------------------------

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
    try:  # off the event loop: the proxy shares it, and a body may be megabytes
        data = await asyncio.to_thread(json.loads, b"".join(chunks))
    except ValueError as exc:
        raise ApiError(400, f"request body is not valid JSON: {exc}") from None
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
    runtime, settings = _runtime(request), _settings(request)
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
        raise _limited(adapter.platform, value, settings.limit)
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


def _limited(platform: str, wait: float, limit: RateLimit) -> ApiError:
    return ApiError(429, f"too many reports on {platform}: at most one every "
                         f"{limit.min_interval:g} s and {limit.per_hour} per hour (settings "
                         f"{ratelimit.ENV_MIN_INTERVAL}, {ratelimit.ENV_PER_HOUR}); nothing was "
                         f"stored, try again in {ratelimit.header_value(wait)} s",
                    headers={"Retry-After": ratelimit.header_value(wait)})


async def _replay(runtime, report_id: int, settings: ReportSettings) -> web.Response:
    """The report an earlier identical click made. Its request is handed out again only while
    no answer came back, so a repeated POST cannot make the browser send twice after one."""
    report = await runtime.store.run_read(lambda conn: rstore.get(conn, report_id))
    awaiting = report["status"] in ("stored", "manual")
    return json_response({"report": public(report, settings, settings.clock()),
                          "request": report["request"] if awaiting else None, "existing": True})


# ---- views of stored reports ---------------------------------------------------------------

def retryable(report: dict, settings: ReportSettings, now: float) -> bool:
    if report["status"] == "failed":
        return True
    return report["status"] == "stored" and report["sent"] is not None \
        and now - report["sent"] >= settings.result_timeout


def public(report: dict, settings: ReportSettings, now: float, parts=None) -> dict:
    out = {key: value for key, value in report.items() if key != "request"}
    out["retryable"] = retryable(report, settings, now)
    if "request" in report:
        out["manual_url"] = (report["request"] or {}).get("manual_url")
    if parts is not None:
        out["manifest_sha256"] = next(p.sha256 for p in parts if p.name == bundle.MANIFEST)
    return out


async def _get(request: web.Request) -> dict:
    report_id = int(request.match_info["id"])
    report = await _runtime(request).store.run_read(lambda conn: rstore.get(conn, report_id))
    if report is None:
        raise ApiError(404, f"no report {report_id}")
    return report


async def list_reports(request: web.Request) -> web.Response:
    params = v.query(request, {"status": v.choice(rstore.STATUSES), "platform": v.text(64),
                               "limit": v.integer(1, 500), "before": v.integer(1, 2**62)})
    limit = params.get("limit", 50)
    rows = await _runtime(request).store.run_read(lambda conn: rstore.list_reports(
        conn, status=params.get("status"), platform=params.get("platform"), limit=limit,
        before_id=params.get("before")))
    settings = _settings(request)
    now = settings.clock()
    return json_response({"reports": [public(r, settings, now) for r in rows],
                          "next_before": rows[-1]["id"] if len(rows) == limit else None})


async def detail(request: web.Request) -> web.Response:
    v.query(request, {})
    report = await _get(request)
    settings = _settings(request)

    def read(conn):
        return (rstore.part_index(conn, report["id"]), rstore.attempts(conn, report["id"]),
                rstore.part(conn, report["id"], bundle.MANIFEST))
    index, attempts, manifest = await _runtime(request).store.run_read(read)
    out = public(report, settings, settings.clock())
    return json_response({
        "report": out, "request": report["request"], "attempts": attempts,
        "bundle": {"parts": index, "manifest": json.loads(manifest.data),
                   "manifest_sha256": manifest.sha256}})


# ---- results and retries -------------------------------------------------------------------

async def result(request: web.Request) -> web.Response:
    body = await v.json_body(request, RESULT_FIELDS, required=frozenset({"http_status"}))
    status_code, text, error = body["http_status"], body.get("body", ""), body.get("error")
    if not 0 <= status_code <= 999:
        raise ApiError(400, "http_status must be 0 (no answer) to 999")
    if len(text) > MAX_RESULT_BODY:
        raise ApiError(413, f"body is at most {MAX_RESULT_BODY} characters")
    report = await _get(request)
    status, message = _interpret(_runtime(request), report, status_code, text, error)
    settings = _settings(request)
    now = settings.clock()
    await _transition(request, lambda conn: rstore.record_result(
        conn, report["id"], now=now, http_status=status_code, body=text, error=error,
        status=status, message=message))
    return json_response({"report": public(await _get(request), settings, settings.clock())})


def _interpret(runtime, report: dict, http_status: int, body: str,
               error: str | None) -> tuple[str, str]:
    if error:
        return "failed", error[:500]
    try:
        adapter = adapter_for(runtime, report["platform"])
    except ApiError:
        return "failed", f"no adapter for {report['platform']} to read the answer with"
    try:
        status, message = templates.interpret(adapter, report["kind"], http_status, body)
    except ValueError as exc:  # the adapter changed since: this kind is no longer sent by API
        return "failed", str(exc)
    if status not in ("submitted", "duplicate", "rate_limited", "failed"):
        return "failed", f"unexpected outcome {status!r}: {message}"
    return status, message


async def retry(request: web.Request) -> web.Response:
    v.query(request, {})
    report = await _get(request)
    settings = _settings(request)
    now = settings.clock()

    def begin(conn):
        current = rstore.get(conn, report["id"])
        if not retryable(current, settings, now):
            raise rstore.StateError(f"only failed reports can be retried; report "
                                    f"{report['id']} is {current['status']}")
        wait = settings.limit.retry_after(
            rstore.send_times(conn, current["platform"], now - ratelimit.HOUR), now)
        if wait is not None:
            return wait
        if current["status"] == "stored":
            rstore.give_up_waiting(conn, current["id"], now,
                                   "no result came back from the browser")
        rstore.begin_retry(conn, current["id"], now)
        return None
    wait = await _transition(request, begin)
    if wait is not None:
        raise _limited(report["platform"], wait, settings.limit)
    return json_response({"report": public(await _get(request), settings, now),
                          "request": report["request"]})


async def _transition(request: web.Request, change):
    try:
        return await _runtime(request).store.run_write(change)
    except rstore.StateError as exc:
        raise ApiError(409, str(exc)) from None


# ---- notices -------------------------------------------------------------------------------

async def notice(request: web.Request) -> web.Response:
    params = v.query(request, {"channel": v.choice(("12377", "dsa")),
                               "lang": v.choice(("zh", "en")),
                               "name": v.text(200), "email": v.text(320)},
                     required=frozenset({"channel"}))
    report = await _get(request)
    category = (await load_categories(request)).get(report["category"])
    if category is None:
        raise ApiError(404, f"category {report['category']!r} is no longer defined")

    def read(conn):
        return (rstore.part(conn, report["id"], "item.json"),
                rstore.part(conn, report["id"], "context.json"))
    item_part, context_part = await _runtime(request).store.run_read(read)
    context = json.loads(context_part.data)
    item = bundle.template_item(json.loads(item_part.data), report["kind"])
    page_url, description = context["page_url"], context.get("description") or ""
    if params["channel"] == "12377":
        if not category.channel_12377:
            raise ApiError(404, f"category {category.id} has no 12377 report type")
        text = notices.text_12377(category, item, page_url, description,
                                  params.get("lang") or "zh")
    else:
        if not category.dsa:
            raise ApiError(404, f"category {category.id} has no DSA category")
        name, email = params.get("name", ""), params.get("email", "")
        # Art 16(2)(c): name and e-mail, except for notices about child sexual abuse offences
        anonymous = getattr(category, "anonymous_notice", False)
        if not anonymous and not (name and EMAIL.fullmatch(email)):
            raise ApiError(400, "a DSA notice needs your name and a valid e-mail address "
                                "(query parameters name and email)")
        lang = params.get("lang") or "en"
        explanation = description or templates.default_description(category, lang)
        try:
            text = notices.dsa_notice(category, item, page_url, explanation, name, email, lang)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    return json_response({"channel": params["channel"], "text": text})
