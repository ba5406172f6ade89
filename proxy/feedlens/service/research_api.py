"""The research routes of the companion service: research mode's consent, pause, the
participant's preview ("see what you donate") and deletion. Charts, the switch audit and the
monthly report live in research_views (registered from here).

Research mode is off until POST /api/research/consent records a consent; the fields a
participant allows are listed one by one (see proxy/research/consent.py FIELDS).
"""

from __future__ import annotations

from aiohttp import web

from ..research.consent import ConsentError
from . import research_participant, research_views, validate as v
from .config import CONFIG
from .errors import ApiError, json_response

MAX_PREVIEW = 500
CONSENT_FIELDS = {"study_id": str, "consent_version": str, "fields": list, "retention_days": int,
                  "study_key": str}
CONSENT_REQUIRED = frozenset({"study_id", "consent_version", "fields", "retention_days"})


def setup(app: web.Application) -> None:
    """Add this feature's /api routes and dashboard pages (route names of pages start with page_)."""
    router = app.router
    router.add_get("/api/research", state, name="research_state")
    router.add_post("/api/research/consent", give_consent, name="research_consent")
    router.add_post("/api/research/disable", disable, name="research_disable")
    router.add_post("/api/research/pause", pause, name="research_pause")
    router.add_get("/api/research/preview", preview, name="research_preview")
    router.add_post("/api/research/delete", delete, name="research_delete")
    research_views.setup(app)
    research_participant.setup(app)


def _research(request: web.Request):
    return request.app[CONFIG].runtime.research


async def state(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await _research(request).state())


async def give_consent(request: web.Request) -> web.Response:
    body = await v.json_body(request, CONSENT_FIELDS, CONSENT_REQUIRED)
    try:
        await _research(request).enable(body["study_id"], body["consent_version"], body["fields"],
                                        body["retention_days"], study_key=body.get("study_key"))
    except (ConsentError, ValueError) as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(await _research(request).state(), status=201)


async def disable(request: web.Request) -> web.Response:
    await v.json_body(request, {})
    await _research(request).disable()
    return json_response(await _research(request).state())


async def pause(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"paused": bool}, frozenset({"paused"}))
    research = _research(request)
    await research.state()  # reads the saved state on first use
    if not research.enabled:
        raise ApiError(404, "research mode is off: there is no consent to pause")
    await research.pause(body["paused"])
    return json_response(await research.state())


async def preview(request: web.Request) -> web.Response:
    params = v.query(request, {"limit": v.integer(1, MAX_PREVIEW)})
    rows = await _research(request).preview(params.get("limit", 20))
    return json_response({"rows": rows, "count": len(rows)})


async def delete(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"since": float, "until": float},
                             frozenset({"since", "until"}))
    if body["since"] >= body["until"]:
        raise ApiError(400, "since must be before until")
    deleted = await _research(request).delete(body["since"], body["until"])
    return json_response({"deleted": deleted})
