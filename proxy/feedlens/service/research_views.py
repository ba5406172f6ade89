"""Research charts, the switch audit and the monthly report: JSON under /api/research/… and the
dashboard pages /research and /research/audit/{id} (registered by research_api.setup).

Everything here reads the user's own item log, so it works with research mode off too.
"""

from __future__ import annotations

import dataclasses
import time

from aiohttp import web

from ..research import audit, charts, format_charts, monthly
from . import validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .pages import form_action, page
from .research_context import audit_context, caveat_text, research_context

MAX_DAYS = 366
MAX_SOURCES = 100
DEFAULT_DAYS = 30
DEFAULT_SOURCES = 20
PAGE_SOURCES = 15
SESSION_ID = r"{id:\d{1,18}}"
OBSERVED = "observed"  # a session's condition taken from the observed switch state


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/research/charts/composition", chart_composition,
                   name="research_chart_composition")
    router.add_get("/api/research/charts/shares", chart_shares, name="research_chart_shares")
    router.add_get("/api/research/charts/sources", chart_sources, name="research_chart_sources")
    router.add_get("/api/research/charts/formats", chart_formats, name="research_chart_formats")
    router.add_get("/api/research/audit", audit_list, name="research_audit_list")
    router.add_post("/api/research/audit", audit_start, name="research_audit_start")
    router.add_post(f"/api/research/audit/{SESSION_ID}/condition", audit_condition,
                    name="research_audit_condition")
    router.add_post(f"/api/research/audit/{SESSION_ID}/finish", audit_finish,
                    name="research_audit_finish")
    router.add_get(f"/api/research/audit/{SESSION_ID}/report", audit_report,
                   name="research_audit_report")
    router.add_get("/api/research/monthly", monthly_report, name="research_monthly")
    router.add_get("/research", page(render_research), name="page_research")
    router.add_post("/research/audit", form_action(form_audit_start),
                    name="page_research_audit_start")
    router.add_get(f"/research/audit/{SESSION_ID}", page(render_audit), name="page_research_audit")
    router.add_post(f"/research/audit/{SESSION_ID}/condition", form_action(form_audit_condition),
                    name="page_research_audit_condition")
    router.add_post(f"/research/audit/{SESSION_ID}/finish", form_action(form_audit_finish),
                    name="page_research_audit_finish")


def _runtime(request: web.Request):
    return request.app[CONFIG].runtime


def _store(request: web.Request):
    return _runtime(request).store


def platforms(runtime) -> list[str]:
    return sorted({a.platform for a in runtime.engine.adapters.adapters})


def _session_id(request: web.Request) -> int:
    return int(request.match_info["id"])


DAYS = v.integer(1, MAX_DAYS)
MONTH = monthly.parse_month  # its ValueError becomes a 400 in validate.query


# ---- charts --------------------------------------------------------------------------------

async def chart_composition(request: web.Request) -> web.Response:
    params = v.query(request, {"days": DAYS, "platform": v.text(64)})
    data = await charts.composition(_store(request), params.get("days", DEFAULT_DAYS), time.time(),
                                    platform=params.get("platform"))
    return json_response(data)


async def chart_shares(request: web.Request) -> web.Response:
    params = v.query(request, {"days": DAYS})
    return json_response(await charts.shares(_store(request), params.get("days", DEFAULT_DAYS),
                                             time.time()))


async def chart_sources(request: web.Request) -> web.Response:
    params = v.query(request, {"days": DAYS, "limit": v.integer(1, MAX_SOURCES)})
    return json_response(await charts.sources(_store(request), params.get("days", DEFAULT_DAYS),
                                              time.time(), params.get("limit", DEFAULT_SOURCES)))


async def chart_formats(request: web.Request) -> web.Response:
    """Provenance × format: items per platform, provenance and format, and the matrix summed
    over platforms (docs/format.md)."""
    params = v.query(request, {"days": DAYS, "platform": v.text(64)})
    return json_response(await format_charts.formats(
        _store(request), params.get("days", DEFAULT_DAYS), time.time(), platform=params.get("platform")))


# ---- the switch audit ----------------------------------------------------------------------

async def audit_list(request: web.Request) -> web.Response:
    v.query(request, {})
    sessions = await audit.list_sessions(_store(request))
    return json_response({"sessions": [s.to_dict() for s in sessions]})


async def audit_start(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"platform": str, "note": str, "condition": str},
                             required=frozenset({"platform"}))
    session = await _start(request, body.get("platform"), body.get("note"), body.get("condition"))
    return json_response({"session": session.to_dict()}, status=201)


async def _start(request: web.Request, platform: str, note: str | None,
                 condition: str | None) -> audit.Session:
    known = platforms(_runtime(request))
    if platform not in known:
        raise ApiError(400, f"unknown platform {platform!r}; known: {', '.join(known)}")
    if note is not None and len(note) > audit.MAX_NOTE:
        raise ApiError(400, f"note is longer than {audit.MAX_NOTE} characters")
    if condition is not None and condition not in (*audit.CONDITIONS, OBSERVED):
        raise ApiError(400, f"condition must be one of {', '.join((*audit.CONDITIONS, OBSERVED))}")
    if condition == OBSERVED:  # the watchdog's confirmed observations switch it (audit_observed.py)
        return await audit.start(_store(request), platform, note or None, time.time(),
                                 condition_from=OBSERVED)
    return await audit.start(_store(request), platform, note or None, time.time(), condition)


async def audit_condition(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"condition": str}, required=frozenset({"condition"}))
    session = await _switch(request, body["condition"])
    return json_response({"session": session.to_dict()})


async def _switch(request: web.Request, condition: str) -> audit.Session:
    if condition not in audit.CONDITIONS:
        raise ApiError(400, f"condition must be one of {', '.join(audit.CONDITIONS)}")
    return await _session_call(audit.switch(_store(request), _session_id(request), condition,
                                            time.time()))


async def audit_finish(request: web.Request) -> web.Response:
    if request.can_read_body:
        await v.json_body(request, {})
    session = await _session_call(audit.finish(_store(request), _session_id(request), time.time()))
    return json_response({"session": session.to_dict()})


async def _session_call(call):
    """Await an audit operation, turning its refusals into 404 / 409."""
    try:
        return await call
    except audit.AuditNotFound as exc:
        raise ApiError(404, str(exc)) from None
    except audit.AuditStateError as exc:
        raise ApiError(409, str(exc)) from None


async def audit_report(request: web.Request) -> web.Response:
    v.query(request, {})
    report = await _session_call(audit.report(_store(request), _session_id(request), time.time()))
    for caveat in report["caveats"]:
        caveat["text"] = caveat_text(caveat, "en")
    return json_response(report)


# ---- monthly -------------------------------------------------------------------------------

async def monthly_report(request: web.Request) -> web.Response:
    params = v.query(request, {"month": MONTH})
    year, month = params.get("month") or monthly.current_month(time.time())
    return json_response(await monthly.report(_store(request), year, month))


# ---- pages ---------------------------------------------------------------------------------

async def research_mode(runtime) -> dict | None:
    """runtime.research as plain data (None when this build has no research mode)."""
    research = getattr(runtime, "research", None)
    if research is None:
        return None
    if hasattr(research, "state"):  # reads the saved consent if nothing has loaded it yet
        state = await research.state()
        return {"enabled": bool(state.get("enabled")), "paused": bool(state.get("paused")),
                "consent": _plain(state.get("consent"))}
    return {"enabled": bool(getattr(research, "enabled", False)),
            "paused": bool(getattr(research, "paused", False)),
            "consent": _plain(getattr(research, "consent", None))}


def _plain(value) -> dict | None:
    if value is None or isinstance(value, dict):
        return value
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return dict(vars(value))


async def render_research(request: web.Request, lang: str) -> tuple[str, dict]:
    params = v.query(request, {"days": DAYS, "month": MONTH, "lang": v.choice(("en", "zh")),
                               "notice": v.choice(AUDIT_NOTICES)})
    runtime, now = _runtime(request), time.time()
    days = params.get("days", DEFAULT_DAYS)
    store = runtime.store
    data = {
        "retention_days": store.retention_days, "mode": await research_mode(runtime), "days": days,
        "composition": await charts.composition(store, days, now),
        "shares": await charts.shares(store, days, now),
        "sources": await charts.sources(store, days, now, PAGE_SOURCES),
        "formats": await format_charts.formats(store, days, now),
        "sessions": [s.to_dict() for s in await audit.list_sessions(store)],
        "platforms": platforms(runtime),
        "monthly": await monthly.report(store, *(params.get("month") or monthly.current_month(now))),
        "notice": params.get("notice"),
    }
    return "research/page.html", research_context(data, lang)


async def render_audit(request: web.Request, lang: str) -> tuple[str, dict]:
    v.query(request, {"lang": v.choice(("en", "zh"))})
    report = await _session_call(audit.report(_store(request), _session_id(request), time.time()))
    return "research/audit.html", audit_context(report, lang)


# Form outcomes shown inline on /research (words: forms.audit.<notice>).
AUDIT_NOTICES = ("started", "started_observed", "switched", "bad_input", "not_found", "conflict")
_NOTICE_BY_STATUS = {404: "not_found", 409: "conflict"}


def _audit_back(lang: str, notice: str) -> str:
    return f"/research?lang={lang}&notice={notice}#audit"


async def _audit_form(call, lang: str, notice: str) -> str:
    """Run a form's audit operation; its refusal becomes a notice on the page, not JSON."""
    try:
        await call
    except ApiError as exc:
        return _audit_back(lang, _NOTICE_BY_STATUS.get(exc.status, "bad_input"))
    return _audit_back(lang, notice)


async def form_audit_start(request: web.Request, lang: str, form: dict) -> str:
    observed = form.get("condition_from") == OBSERVED
    return await _audit_form(_start(request, str(form.get("platform", "")),
                                    str(form.get("note", "")) or None,
                                    OBSERVED if observed else "on"),
                             lang, "started_observed" if observed else "started")


async def form_audit_condition(request: web.Request, lang: str, form: dict) -> str:
    return await _audit_form(_switch(request, str(form.get("condition", ""))), lang, "switched")


async def form_audit_finish(request: web.Request, lang: str, form: dict) -> str:
    try:
        await _session_call(audit.finish(_store(request), _session_id(request), time.time()))
    except ApiError as exc:
        return _audit_back(lang, _NOTICE_BY_STATUS.get(exc.status, "bad_input"))
    return f"/research/audit/{_session_id(request)}?lang={lang}"
