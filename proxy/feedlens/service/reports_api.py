"""The reports routes: choices for the picker, one report per click, results, retries, history.

The order that matters: a report and its whole evidence bundle are committed in one SQLite
transaction before the service answers, and only that answer hands the prepared request to
the browser. The request carries `{cookie:NAME}` placeholders that only the content script
fills, on the platform's own page, so cookies never reach feedlens. Nothing is deleted when
something fails; a `failed` report can be retried, and so can one whose browser never
reported back within `result_timeout`.
"""

from __future__ import annotations

import json
import re

from aiohttp import web

from ..language import pick_language
from ..reports import bundle, complaint, notices, store as rstore, templates
from . import reports_page, validate as v
from .errors import ApiError, json_response
from .reports_common import (RESULT_TIMEOUT, SETTINGS, adapter_for, get_report, load_categories,
                             public, runtime_of, settings_from_env, settings_of)
from .reports_create import DSA_PLACEHOLDERS, MAX_REPORT_BODY, create
from .reports_outbox import result, retry

# Also named here for the tests and other callers that knew them as reports_api.*
__all__ = ["DSA_PLACEHOLDERS", "MAX_REPORT_BODY", "RESULT_TIMEOUT", "SETTINGS", "setup"]

EMAIL = re.compile(r"^[^@\s]{1,128}@[^@\s]{1,253}$")


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/reports/choices", choices, name="reports_choices")
    router.add_post("/api/reports", create, name="reports_create")
    router.add_get("/api/reports", list_reports, name="reports_list")
    router.add_get(r"/api/reports/{id:\d{1,18}}", detail, name="report_detail")
    router.add_post(r"/api/reports/{id:\d{1,18}}/result", result, name="report_result")
    router.add_post(r"/api/reports/{id:\d{1,18}}/retry", retry, name="report_retry")
    router.add_get(r"/api/reports/{id:\d{1,18}}/notice", notice, name="report_notice")
    reports_page.setup(app)
    app[SETTINGS] = settings_from_env()


# ---- choices -------------------------------------------------------------------------------


async def choices(request: web.Request) -> web.Response:
    params = v.query(request, {"platform": v.text(64), "kind": v.text(64),
                               "lang": v.choice(("zh", "en"))}, required=frozenset({"platform"}))
    lang = params.get("lang") or pick_language(request.headers.get("Accept-Language"))
    adapter = adapter_for(runtime_of(request), params["platform"])
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


# ---- views of stored reports ---------------------------------------------------------------


async def list_reports(request: web.Request) -> web.Response:
    params = v.query(request, {"status": v.choice(rstore.STATUSES), "platform": v.text(64),
                               "limit": v.integer(1, 500), "before": v.integer(1, 2**62)})
    limit = params.get("limit", 50)
    rows = await runtime_of(request).store.run_read(lambda conn: rstore.list_reports(
        conn, status=params.get("status"), platform=params.get("platform"), limit=limit,
        before_id=params.get("before")))
    settings = settings_of(request)
    now = settings.clock()
    return json_response({"reports": [public(r, settings, now) for r in rows],
                          "next_before": rows[-1]["id"] if len(rows) == limit else None})


async def detail(request: web.Request) -> web.Response:
    v.query(request, {})
    report = await get_report(request)
    settings = settings_of(request)

    def read(conn):
        return (rstore.part_index(conn, report["id"]), rstore.attempts(conn, report["id"]),
                rstore.part(conn, report["id"], bundle.MANIFEST))
    index, attempts, manifest = await runtime_of(request).store.run_read(read)
    out = public(report, settings, settings.clock())
    return json_response({
        "report": out, "request": report["request"], "attempts": attempts,
        "bundle": {"parts": index, "manifest": json.loads(manifest.data),
                   "manifest_sha256": manifest.sha256}})


# ---- notices -------------------------------------------------------------------------------


async def notice(request: web.Request) -> web.Response:
    params = v.query(request, {"channel": v.choice(("12377", "dsa")),
                               "lang": v.choice(("zh", "en")),
                               "name": v.text(200), "email": v.text(320)},
                     required=frozenset({"channel"}))
    report = await get_report(request)
    if report["kind"] == complaint.KIND:
        return await _complaint_text(request, report, params)
    category = (await load_categories(request)).get(report["category"])
    if category is None:
        raise ApiError(404, f"category {report['category']!r} is no longer defined")

    def read(conn):
        return (rstore.part(conn, report["id"], "item.json"),
                rstore.part(conn, report["id"], "context.json"))
    item_part, context_part = await runtime_of(request).store.run_read(read)
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


async def _complaint_text(request: web.Request, report: dict, params: dict) -> web.Response:
    """A complaint about a reverted choice carries its texts in its bundle (prepared for one
    jurisdiction: cn answers the 12377 channel, eu the DSA one); the name, when given, fills in
    the blank left for it."""
    channel = params["channel"]
    name = complaint.NOTICE_PARTS[channel][params.get("lang") or ("zh" if channel == "12377" else "en")]
    part = await runtime_of(request).store.run_read(lambda conn: rstore.part(conn, report["id"], name))
    if part is None:
        raise ApiError(404, f"complaint {report['id']} was prepared for {report['category']}, "
                            f"not for the {channel} channel")
    text = part.data.decode("utf-8")
    signer = " ".join(filter(None, (params.get("name"), params.get("email"))))
    if signer:
        text = text.replace("＿＿＿＿＿＿（请填写）", signer).replace("__________ (fill in)", signer)
    return json_response({"channel": channel, "text": text})
