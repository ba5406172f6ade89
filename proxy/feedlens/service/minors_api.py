"""The minors routes of the companion service: devices, time requests and grants, the parent's
overview (with tamper signals) and the audit log. Changing routes go through the parent lock
(service/parent_guard.py): once a parent PIN is set they all need it.

The state behind them is `runtime.minors` (proxy/minors/state.py); without it (a runtime
that has no minors support) they answer 503.
"""

from __future__ import annotations

from aiohttp import web

from ..minors import audit
from . import parent_guard, parent_page, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .minors_actions import (MAX_GRANT_MINUTES, apply_decision, apply_grant, apply_set_device,
                             build_overview, device_name, locked, minors_of, with_lock)

MAX_AUDIT_PAGE = 500


def setup(app: web.Application) -> None:
    """Add this feature's /api routes and dashboard pages (route names of pages start with page_)."""
    parent_guard.setup(app)
    router = app.router
    router.add_get("/api/minors/devices", devices, name="minors_devices")
    router.add_put("/api/minors/devices/{name}", put_device, name="minors_device_put")
    router.add_post("/api/minors/devices/{name}/remove", remove_device, name="minors_device_remove")
    router.add_get("/api/minors/requests", requests, name="minors_requests")
    router.add_post("/api/minors/requests/{id}", decide_request, name="minors_request_decide")
    router.add_post("/api/minors/grant", grant, name="minors_grant")
    router.add_get("/api/minors/overview", overview, name="minors_overview")
    router.add_get("/api/minors/audit", audit_log, name="minors_audit")
    router.add_get("/api/minors/pin", pin_status, name="minors_pin")
    parent_page.setup(app)


# ---- devices -------------------------------------------------------------------------------

async def devices(request: web.Request) -> web.Response:
    v.query(request, {})
    found = await minors_of(request.app).devices()
    return json_response({"devices": [with_lock(request.app, d) for d in found]})


async def put_device(request: web.Request) -> web.Response:
    name = device_name(request.match_info["name"])
    body = await v.json_body(request, {"profile": str, "label": str}, required=frozenset({"profile"}))
    label = " ".join(body.get("label", "").split())[:64] or None
    profile = await apply_set_device(request, name, body["profile"], label)
    return json_response({"device": name, "profile": profile, "label": label})


async def remove_device(request: web.Request) -> web.Response:
    app, name = request.app, device_name(request.match_info["name"])
    v.query(request, {})
    minors = minors_of(app)
    current = minors.device_profile(name)
    await parent_guard.require_pin(request, route="minors_device_remove", device=name,
                                   profile=current, locked=locked(app, current), always_if_set=True)
    if not await minors.remove_device(name):
        raise ApiError(404, f"no device named {name!r}")
    return json_response({"device": name, "removed": True})


# ---- time requests and grants --------------------------------------------------------------

async def requests(request: web.Request) -> web.Response:
    params = v.query(request, {"status": v.choice(("pending", "all"))})
    status = params.get("status", "pending")
    found = await minors_of(request.app).time_requests(None if status == "all" else status)
    return json_response({"requests": found})


async def decide_request(request: web.Request) -> web.Response:
    request_id = v.integer(1, 2**62)(request.match_info["id"])
    body = await v.json_body(request, {"approve": bool, "minutes": int}, required=frozenset({"approve"}))
    minutes = body.get("minutes")
    if minutes is not None and not 1 <= minutes <= MAX_GRANT_MINUTES:
        raise ApiError(400, f"minutes must be 1 to {MAX_GRANT_MINUTES}")
    return json_response(await apply_decision(request, request_id, body["approve"], minutes))


async def grant(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"device": str, "minutes": int},
                             required=frozenset({"device", "minutes"}))
    name = device_name(body["device"])
    if not 1 <= body["minutes"] <= MAX_GRANT_MINUTES:
        raise ApiError(400, f"minutes must be 1 to {MAX_GRANT_MINUTES}")
    await apply_grant(request, name, body["minutes"])
    return json_response({"device": name, "minutes": body["minutes"]})


# ---- overview, audit, PIN status -----------------------------------------------------------

async def overview(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await build_overview(request.app))


async def audit_log(request: web.Request) -> web.Response:
    params = v.query(request, {"limit": v.integer(1, MAX_AUDIT_PAGE), "before_id": v.integer(1, 2**62),
                               "device": v.text(80)})
    limit = params.pop("limit", 100)
    rows = await audit.entries(request.app[CONFIG].runtime.store, limit=limit, **params)
    return json_response({"entries": rows,
                          "next_before_id": rows[-1]["id"] if len(rows) == limit else None})


async def pin_status(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await parent_guard.parent_pin(request.app).status())
