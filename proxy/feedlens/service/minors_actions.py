"""What the minors API and the parent's page (/parent) both do: find the minors state, check
a device's name, apply a parent's decision, grant or device change through the parent lock,
and build the overview. Both modules import this one, so neither imports the other.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from aiohttp import web

from ..minors import audit, tamper
from ..minors.devices import normal, valid_name
from ..minors.state import MAX_REQUEST_MINUTES, MinorsError, NotFound
from . import parent_guard, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError
from .views import active_profile, start_of_day

MAX_GRANT_MINUTES = MAX_REQUEST_MINUTES


def minors_of(app: web.Application):
    found = getattr(app[CONFIG].runtime, "minors", None)
    if found is None:
        raise ApiError(503, "this feedlens runtime has no minors support")
    return found


def device_name(text: str) -> str:
    if not valid_name(text):
        raise ApiError(400, "a device is 'user:<proxy user name>' or 'addr:<client address>'")
    return normal(text)  # user names compare case-insensitively


def device_profile(app: web.Application, device: str) -> str:
    """The profile a device uses: its own, else the active one."""
    return minors_of(app).device_profile(device) or active_profile(app[CONFIG].runtime)


def locked(app: web.Application, *names: str | None) -> bool:
    return any(parent_guard.is_locked(app, n) for n in names if n)


async def call(awaitable):
    """Await a Minors call; its refusals become 404 (gone) or 409 (decided meanwhile) or 400."""
    try:
        return await awaitable
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except MinorsError as exc:
        status = 409 if "already" in str(exc) or "meanwhile" in str(exc) else 400
        raise ApiError(status, str(exc)) from None


def with_lock(app, device: dict) -> dict:
    return {**device, "locked": locked(app, device.get("profile"))}



# ---- changes through the parent lock ------------------------------------------------------

async def apply_set_device(request: web.Request, name: str, profile: str, label: str | None,
                           pin: str | None = None) -> str:
    app = request.app
    profile = v.profile_name(profile)
    if not profile_files.exists(app[CONFIG].rules_dir, profile):
        raise ApiError(404, f"no profile named {profile!r}", code="no_profile",
                           params={"name": repr(profile)})
    minors = minors_of(app)
    await parent_guard.require_pin(request, route="minors_device_put", device=name, profile=profile,
                                   locked=locked(app, minors.device_profile(name), profile),
                                   always_if_set=True, pin=pin)
    await call(minors.set_device(name, profile, label))
    return profile


async def find_request(app, request_id: int) -> dict:
    pending = await minors_of(app).time_requests("pending")
    found = next((r for r in pending if int(r["id"]) == request_id), None)
    if found is None:
        raise ApiError(404, f"no pending request {request_id}")
    return found


async def apply_decision(request: web.Request, request_id: int, approve: bool,
                         minutes: int | None, pin: str | None = None) -> dict:
    app = request.app
    found = await find_request(app, request_id)
    profile = device_profile(app, found["device"])
    await parent_guard.require_pin(request, route="minors_request_decide", device=found["device"],
                                   profile=profile, locked=locked(app, profile),
                                   always_if_set=True, pin=pin)
    return await call(minors_of(app).decide_time_request(request_id, approve, minutes))


async def apply_grant(request: web.Request, name: str, minutes: int, pin: str | None = None) -> None:
    app = request.app
    profile = device_profile(app, name)
    await parent_guard.require_pin(request, route="minors_grant", device=name, profile=profile,
                                   locked=locked(app, profile), always_if_set=True, pin=pin)
    await call(minors_of(app).grant(name, minutes, time.time()))


# ---- the overview --------------------------------------------------------------------------

async def build_overview(app: web.Application, now: float | None = None) -> dict:
    """What /parent shows: per device its profile, time, filtered counts; requests; signals."""
    now = time.time() if now is None else now
    runtime, minors = app[CONFIG].runtime, minors_of(app)
    found = await minors.devices()
    day_start = start_of_day(now)
    week_start = start_of_week(now)
    rows = []
    for device in found:
        name = device["name"]
        rows.append({**with_lock(app, device),
                     "usage": await minors.usage(name, now),
                     "status": minors.status(name, now),
                     "filtered_today": await minors.filtered_counts(name, day_start, now + 1),
                     "filtered_week": await minors.filtered_counts(name, week_start, now + 1)})
    signals = await tamper_signals(app, found, now)
    for row in rows:
        row["signals"] = [s for s in signals if s["device"] == row["name"]]
    store = runtime.store
    return {"time": now, "active_profile": active_profile(runtime), "parent_lock": lock_state(runtime),
            "pin": await parent_guard.parent_pin(app).status(),
            "devices": rows, "requests": await minors.time_requests("pending"),
            "signals": signals, "audit": await audit.entries(store, limit=20)}


def lock_state(runtime) -> dict:
    """The lock the store keeps, and what is wrong with it (red on the page while not ok)."""
    book = getattr(runtime, "lock", None)
    if book is None:
        return {"ok": True, "active": None, "pending": {}, "fallbacks": {}, "refused": None}
    return book.health(runtime.fallbacks, runtime.lock_refused)


def start_of_week(now: float) -> float:
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
