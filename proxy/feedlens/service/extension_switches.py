"""Quick switches (hide personalised, chronological) and pause from the extension. A pause
switches to the pristine profile and comes back by itself, across restarts too.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from . import profile_files, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .extension_common import (LOCK, PRISTINE, SWITCHES, TIMER, check_lock, extension_state,
                               paused_until, read_state, runtime_of, set_profile, write_state)
from .views import active_profile

log = logging.getLogger(__name__)

MAX_PAUSE_MINUTES = 240


async def switch(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"name": str, "on": bool}, required=frozenset({"name", "on"}))
    if body["name"] not in SWITCHES:
        raise ApiError(400, f"name must be one of {', '.join(SWITCHES)}")
    app, profile = request.app, SWITCHES[body["name"]]
    async with app[LOCK]:
        await check_lock(request, "extension_switch")
        if paused_until(app) is not None:
            raise ApiError(409, "feedlens is paused; resume it first", code="paused")
        data_dir, runtime = app[CONFIG].data_dir, runtime_of(app)
        saved = read_state(data_dir)
        current = active_profile(runtime)
        if body["on"]:
            if not profile_files.exists(app[CONFIG].rules_dir, profile):
                raise ApiError(404, f"no profile named {profile!r}", code="no_profile",
                           params={"name": repr(profile)})
            if current not in SWITCHES.values():
                saved["return_to"] = current
            await set_profile(runtime, profile)
        elif current == profile:
            await set_profile(runtime, saved.pop("return_to", None) or PRISTINE)
        await asyncio.to_thread(write_state, data_dir, saved)
    return json_response(await extension_state(app))


async def pause(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"minutes": int}, required=frozenset({"minutes"}))
    minutes = body["minutes"]
    if not 0 <= minutes <= MAX_PAUSE_MINUTES:
        raise ApiError(400, f"minutes must be 0 (resume) to {MAX_PAUSE_MINUTES}")
    app = request.app
    async with app[LOCK]:
        await check_lock(request, "extension_pause")
        if minutes == 0:
            await _resume(app)
        else:
            data_dir, runtime = app[CONFIG].data_dir, runtime_of(app)
            saved = read_state(data_dir)
            return_to = saved.get("pause", {}).get("return_to") or active_profile(runtime)
            saved["pause"] = {"until": time.time() + minutes * 60, "return_to": return_to}
            await asyncio.to_thread(write_state, data_dir, saved)
            await set_profile(runtime, PRISTINE)
            _schedule(app, saved["pause"]["until"])
    return json_response(await extension_state(app))


async def _resume(app) -> None:
    _cancel(app)
    data_dir = app[CONFIG].data_dir
    saved = read_state(data_dir)
    paused = saved.pop("pause", None)
    await asyncio.to_thread(write_state, data_dir, saved)
    runtime = runtime_of(app)
    if paused and active_profile(runtime) == PRISTINE and paused["return_to"] != PRISTINE:
        await set_profile(runtime, paused["return_to"])


def _schedule(app, until: float) -> None:
    _cancel(app)

    async def resume_later():
        await asyncio.sleep(max(0.0, until - time.time()))
        async with app[LOCK]:
            try:
                await _resume(app)
            except ApiError as exc:  # e.g. the profile to return to was deleted meanwhile
                log.warning("feedlens: could not end the pause: %s %s", exc.message, exc.messages or "")
    app[TIMER]["task"] = asyncio.get_running_loop().create_task(resume_later())


def _cancel(app) -> None:
    task = app[TIMER].pop("task", None)
    if task is not None and task is not asyncio.current_task():
        task.cancel()


async def restore_pause(app: web.Application) -> None:
    paused = read_state(app[CONFIG].data_dir).get("pause")
    if paused:  # a pause outlives a restart; one that ended while we were down ends now
        _schedule(app, paused["until"])


async def cancel_timer(app: web.Application) -> None:
    _cancel(app)
