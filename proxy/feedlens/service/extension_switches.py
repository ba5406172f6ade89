"""Quick switches (hide personalised, chronological) and pause from the extension, as named
rules in My rules (`switch:…`, service/my_rules.py), so they never change the active profile
and never undo a per-item rule. A pause is the rule `switch:pause` (keep everything) at the top
of My rules, removed by itself when the pause ends, across restarts too.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from . import my_rules, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .extension_common import (LOCK, TIMER, check_lock, extension_state, paused_until, read_state,
                               write_state)

log = logging.getLogger(__name__)

MAX_PAUSE_MINUTES = 240


async def switch(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"name": str, "on": bool}, required=frozenset({"name", "on"}))
    if body["name"] not in my_rules.SWITCHES:
        raise ApiError(400, f"name must be one of {', '.join(my_rules.SWITCHES)}")
    app, rules = request.app, my_rules.SWITCHES[body["name"]]
    async with app[LOCK]:
        await check_lock(request, "extension_switch")
        if paused_until(app) is not None:
            raise ApiError(409, "feedlens is paused; resume it first", code="paused")
        await my_rules.edit(app, lambda text: my_rules.set_switch(text, rules, body["on"]))
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
            data_dir = app[CONFIG].data_dir
            saved = read_state(data_dir)
            saved["pause"] = {"until": time.time() + minutes * 60}
            await asyncio.to_thread(write_state, data_dir, saved)
            await my_rules.edit(app, lambda text: my_rules.set_switch(text, my_rules.PAUSE, True,
                                                                      first=True))
            _schedule(app, saved["pause"]["until"])
    return json_response(await extension_state(app))


async def _resume(app) -> None:
    _cancel(app)
    data_dir = app[CONFIG].data_dir
    saved = read_state(data_dir)
    saved.pop("pause", None)
    await asyncio.to_thread(write_state, data_dir, saved)
    await my_rules.edit(app, lambda text: my_rules.set_switch(text, my_rules.PAUSE, False))


def _schedule(app, until: float) -> None:
    _cancel(app)

    async def resume_later():
        await asyncio.sleep(max(0.0, until - time.time()))
        async with app[LOCK]:
            try:
                await _resume(app)
            except ApiError as exc:  # e.g. My rules were made invalid by hand meanwhile
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
