"""The minors routes of the companion service: devices, time requests and grants, the parent's
overview (with tamper signals) and the audit log. Changing routes go through the parent lock
(service/parent_guard.py): once a parent PIN is set they all need it.

The state behind them is `runtime.minors` (proxy/minors/state.py); without it (a runtime
that has no minors support) they answer 503.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from aiohttp import web

from ..minors import audit, tamper
from ..minors.devices import valid_name
from ..minors.state import MAX_REQUEST_MINUTES, MinorsError, NotFound
from . import parent_guard, parent_page, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .views import active_profile, start_of_day

MAX_GRANT_MINUTES = MAX_REQUEST_MINUTES
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


# ---- helpers -------------------------------------------------------------------------------

def minors_of(app: web.Application):
    found = getattr(app[CONFIG].runtime, "minors", None)
    if found is None:
        raise ApiError(503, "this feedlens runtime has no minors support")
    return found


def device_name(text: str) -> str:
    if not valid_name(text):
        raise ApiError(400, "a device is 'user:<proxy user name>' or 'addr:<client address>'")
    return text


def device_profile(app: web.Application, device: str) -> str:
    """The profile a device uses: its own, else the active one."""
    return minors_of(app).device_profile(device) or active_profile(app[CONFIG].runtime)


def locked(app: web.Application, *names: str | None) -> bool:
    rules_dir = app[CONFIG].rules_dir
    return any(parent_guard.profile_locked(rules_dir, n) for n in names if n)


async def _call(awaitable):
    """Await a Minors call; its refusals become 404 (gone) or 409 (decided meanwhile) or 400."""
    try:
        return await awaitable
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except MinorsError as exc:
        status = 409 if "already" in str(exc) or "meanwhile" in str(exc) else 400
        raise ApiError(status, str(exc)) from None


# ---- devices -------------------------------------------------------------------------------

async def devices(request: web.Request) -> web.Response:
    v.query(request, {})
    found = await minors_of(request.app).devices()
    return json_response({"devices": [_with_lock(request.app, d) for d in found]})


def _with_lock(app, device: dict) -> dict:
    return {**device, "locked": locked(app, device.get("profile"))}


async def put_device(request: web.Request) -> web.Response:
    name = device_name(request.match_info["name"])
    body = await v.json_body(request, {"profile": str, "label": str}, required=frozenset({"profile"}))
    label = " ".join(body.get("label", "").split())[:64] or None
    profile = await apply_set_device(request, name, body["profile"], label)
    return json_response({"device": name, "profile": profile, "label": label})


async def apply_set_device(request: web.Request, name: str, profile: str, label: str | None,
                           pin: str | None = None) -> str:
    app = request.app
    profile = v.profile_name(profile)
    if not profile_files.exists(app[CONFIG].rules_dir, profile):
        raise ApiError(404, f"no profile named {profile!r}")
    minors = minors_of(app)
    await parent_guard.require_pin(request, route="minors_device_put", device=name, profile=profile,
                                   locked=locked(app, minors.device_profile(name), profile),
                                   always_if_set=True, pin=pin)
    await _call(minors.set_device(name, profile, label))
    return profile


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


async def find_request(app, request_id: int) -> dict:
    pending = await minors_of(app).time_requests("pending")
    found = next((r for r in pending if int(r["id"]) == request_id), None)
    if found is None:
        raise ApiError(404, f"no pending request {request_id}")
    return found


async def decide_request(request: web.Request) -> web.Response:
    request_id = v.integer(1, 2**62)(request.match_info["id"])
    body = await v.json_body(request, {"approve": bool, "minutes": int}, required=frozenset({"approve"}))
    minutes = body.get("minutes")
    if minutes is not None and not 1 <= minutes <= MAX_GRANT_MINUTES:
        raise ApiError(400, f"minutes must be 1 to {MAX_GRANT_MINUTES}")
    return json_response(await apply_decision(request, request_id, body["approve"], minutes))


async def apply_decision(request: web.Request, request_id: int, approve: bool,
                         minutes: int | None, pin: str | None = None) -> dict:
    app = request.app
    found = await find_request(app, request_id)
    profile = device_profile(app, found["device"])
    await parent_guard.require_pin(request, route="minors_request_decide", device=found["device"],
                                   profile=profile, locked=locked(app, profile),
                                   always_if_set=True, pin=pin)
    return await _call(minors_of(app).decide_time_request(request_id, approve, minutes))


async def grant(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"device": str, "minutes": int},
                             required=frozenset({"device", "minutes"}))
    name = device_name(body["device"])
    if not 1 <= body["minutes"] <= MAX_GRANT_MINUTES:
        raise ApiError(400, f"minutes must be 1 to {MAX_GRANT_MINUTES}")
    await apply_grant(request, name, body["minutes"])
    return json_response({"device": name, "minutes": body["minutes"]})


async def apply_grant(request: web.Request, name: str, minutes: int, pin: str | None = None) -> None:
    app = request.app
    profile = device_profile(app, name)
    await parent_guard.require_pin(request, route="minors_grant", device=name, profile=profile,
                                   locked=locked(app, profile), always_if_set=True, pin=pin)
    await _call(minors_of(app).grant(name, minutes, time.time()))


# ---- overview, audit, PIN status -----------------------------------------------------------

async def overview(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await build_overview(request.app))


async def build_overview(app: web.Application, now: float | None = None) -> dict:
    """What /parent shows: per device its profile, time, filtered counts; requests; signals."""
    now = time.time() if now is None else now
    runtime, minors = app[CONFIG].runtime, minors_of(app)
    found = await minors.devices()
    day_start = start_of_day(now)
    week_start = _start_of_week(now)
    rows = []
    for device in found:
        name = device["name"]
        rows.append({**_with_lock(app, device),
                     "usage": await minors.usage(name, now),
                     "status": minors.status(name, now),
                     "filtered_today": await minors.filtered_counts(name, day_start, now + 1),
                     "filtered_week": await minors.filtered_counts(name, week_start, now + 1)})
    signals = await tamper_signals(app, found, now)
    for row in rows:
        row["signals"] = [s for s in signals if s["device"] == row["name"]]
    store = runtime.store
    return {"time": now, "active_profile": active_profile(runtime),
            "pin": await parent_guard.parent_pin(app).status(),
            "devices": rows, "requests": await minors.time_requests("pending"),
            "signals": signals, "audit": await audit.entries(store, limit=20)}


def _start_of_week(now: float) -> float:
    local = datetime.fromtimestamp(now).astimezone()
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
    return monday.timestamp()


async def tamper_signals(app: web.Application, found: list[dict], now: float) -> list[dict]:
    runtime, minors = app[CONFIG].runtime, minors_of(app)
    counters = runtime.counters.snapshot()

    def blocked(device: str, at: float) -> bool:
        return bool(minors.status(device, at).get("blocked"))
    silent = tamper.silent_devices(found, now, blocked)  # in-memory status: cheap, stays on the loop
    last_feed = max((counters.get("last_feed") or {}).values(), default=None)
    contact = await parent_guard.last_extension_contact(app)
    return (silent + tamper.untrusting_clients(counters, found, now)
            + tamper.extension_silence(contact, last_feed, now))


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
