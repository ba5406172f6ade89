"""The JSON API. Each view validates its input, asks the runtime or the store, answers JSON."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from aiohttp import web

from .. import __version__
from ..files import write_atomic
from ..model import Provenance
from ..profiles import ProfileError
from ..store_schema import StoreError
from . import parent_guard, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .lang import request_language

PROVENANCES = tuple(p.value for p in Provenance)
MAX_MARK_IDS = 200
MAX_ITEMS_PAGE = 500
RESERVED_NAMES = frozenset({"active"})  # /api/profiles/active is the switch


def _runtime(request: web.Request):
    return request.app[CONFIG].runtime


def active_profile(runtime) -> str:
    """The chosen profile's name (the real Runtime keeps it even while that file is broken)."""
    return getattr(runtime, "profile_name", None) or runtime.engine.profile.name


def start_of_day(now: float) -> float:
    """Local midnight before `now`, as unix seconds."""
    local = datetime.fromtimestamp(now).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


# ---- health, marks, items, stats -----------------------------------------------------------

async def health(request: web.Request) -> web.Response:
    v.query(request, {})
    data = {"ok": True, "version": __version__}
    if "Authorization" not in request.headers:  # a present header was checked by require_token
        return json_response(data)
    runtime = _runtime(request)
    data.update(runtime.health())
    data.setdefault("store", runtime.store.status())
    return json_response(data)


async def marks(request: web.Request) -> web.Response:
    params = v.query(request, {"platform": v.text(64), "ids": v.id_list(MAX_MARK_IDS)},
                     required=frozenset({"platform", "ids"}))
    found = await _runtime(request).store.marks(params["platform"], params["ids"])
    return json_response({"platform": params["platform"], "marks": found,
                          "missing": [i for i in params["ids"] if i not in found]})


ITEMS_QUERY = {
    "limit": v.integer(1, MAX_ITEMS_PAGE), "before_id": v.integer(1, 2**62),
    "platform": v.text(64), "provenance": v.choice(PROVENANCES), "surface": v.text(64),
    "since": v.number, "until": v.number,
}


async def items(request: web.Request) -> web.Response:
    params = v.query(request, ITEMS_QUERY)
    limit = params.pop("limit", 50)
    rows = await _runtime(request).store.items(limit=limit, **params)
    next_before = rows[-1]["id"] if len(rows) == limit else None
    return json_response({"items": rows, "next_before_id": next_before})


async def stats(request: web.Request) -> web.Response:
    params = v.query(request, {"since": v.number, "until": v.number})
    now = time.time()
    since = params.get("since", start_of_day(now))
    until = params.get("until", now + 1)  # until is exclusive; +1 s keeps "now" inside
    if until <= since:
        raise ApiError(400, "until must be after since")
    return json_response(await _runtime(request).store.stats(since=since, until=until))


# ---- rules for the extension ---------------------------------------------------------------

def _dom_entry(adapter) -> dict:
    return {
        "title": adapter.title, "version": adapter.version,
        "hosts": sorted({h for e in adapter.endpoints for h in e.hosts}),
        "endpoints": [{"name": e.name, "surface": e.surface, "hosts": list(e.hosts), "dom": e.dom}
                      for e in adapter.endpoints if e.dom],
    }


async def rules_dom(request: web.Request) -> web.Response:
    v.query(request, {})
    runtime = _runtime(request)
    platforms = {a.platform: _dom_entry(a) for a in runtime.engine.adapters.adapters}
    return json_response({"platforms": platforms, "errors": list(runtime.adapter_errors)})


# ---- profiles ------------------------------------------------------------------------------

def _name(text: str) -> str:
    name = v.profile_name(text)
    if name in RESERVED_NAMES:
        raise ApiError(400, f"{name!r} is a reserved name")
    return name


async def profiles(request: web.Request) -> web.Response:
    v.query(request, {})
    runtime = _runtime(request)
    active = active_profile(runtime)
    found = await asyncio.to_thread(profile_files.list_profiles, request.app[CONFIG].rules_dir, active,
                                    request_language(request))
    return json_response({"active": active, "profiles": found,
                          "errors": list(runtime.profile_errors)})


async def profile(request: web.Request) -> web.Response:
    v.query(request, {})
    name = _name(request.match_info["name"])
    active = active_profile(_runtime(request))
    data = await asyncio.to_thread(profile_files.read_profile, request.app[CONFIG].rules_dir,
                                   name, active, request_language(request))
    if data is None:
        raise ApiError(404, f"no profile named {name!r}", code="no_profile",
                       params={"name": repr(name)})
    return json_response(data)


async def set_active_profile(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"name": str}, required=frozenset({"name"}))
    runtime = await choose_profile(request, body["name"])
    return json_response({"active": active_profile(runtime), "errors": list(runtime.profile_errors)})


async def choose_profile(request: web.Request, name: str, *, route: str = "profile_active",
                         pin: str | None = None):
    """Make profile `name` active (the API and the /rules page); raises ApiError."""
    name = _name(name)
    runtime = _runtime(request)
    rules_dir = request.app[CONFIG].rules_dir
    if not profile_files.exists(rules_dir, name):
        raise ApiError(404, f"no profile named {name!r}", code="no_profile",
                       params={"name": repr(name)})
    current = active_profile(runtime)
    # Leaving a locked profile is the parent's call; choosing one only tightens.
    await parent_guard.require_pin(request, route=route, profile=current, pin=pin,
                                   detail=f"to {name}", locked=name != current
                                   and parent_guard.is_locked(request.app, current))
    try:
        await asyncio.to_thread(runtime.set_profile, name, unlocked=True)  # the PIN was checked
    except ProfileError as exc:
        raise ApiError(400, "invalid profile; the previous one stays active", exc.messages,
                       code="invalid_profile") from None
    await _store_lock(runtime)
    return runtime


async def _store_lock(runtime) -> None:
    """The lock lives in the store (minors/lock.py): write what a change did to it now."""
    book = getattr(runtime, "lock", None)
    if book is not None:
        try:
            await book.flush(runtime.store)
        except StoreError:  # not started (a test's runtime): the watcher writes it later
            pass


async def put_profile(request: web.Request) -> web.Response:
    name = _name(request.match_info["name"])
    body = await v.json_body(request, {"yaml": str, "profile": dict})
    if len(body) != 1:
        raise ApiError(400, "send exactly one of 'yaml' (the file text) or 'profile' (an object)")
    text = body["yaml"] if "yaml" in body else await v.off_loop(profile_files.to_yaml, body["profile"])
    path = profile_files.writable_path(request.app[CONFIG].rules_dir, name)
    locked = parent_guard.is_locked(request.app, name)
    await parent_guard.require_pin(request, route="profile_put", profile=name, locked=locked)
    try:
        compiled = await v.off_loop(profile_files.validate, text, path, name)
    except ProfileError as exc:
        raise ApiError(400, "invalid profile; the file was not changed", exc.messages,
                       code="invalid_profile_file") from None
    created = not profile_files.profile_path(request.app[CONFIG].rules_dir, name).exists()
    await asyncio.to_thread(write_atomic, path, text)
    runtime = _runtime(request)
    if locked or compiled.locked:  # the parent gave the PIN: this text is the lock's copy now
        runtime.lock.confirm(name, text)
        await _store_lock(runtime)
    is_active = name == active_profile(runtime)
    reloaded = await asyncio.to_thread(runtime.reload) if is_active else None
    return json_response({"name": name, "path": str(path), "created": created,
                          "active": is_active, "reloaded": reloaded, "rules": len(compiled.rules)},
                         status=201 if created else 200)
