"""Routes the browser extension needs beyond the core API: pairing, per-item rules, undo,
quick switches and pause. Wire with `extension_api.setup(app)`; the route `extension_pair`
must be reachable without the token (it is how the extension gets the token).

The extension never sends rule text: it names an action and the values (author, keyword), and
the rule is built here, so a compromised extension page cannot write arbitrary rules. Rules,
quick switches and the pause go to My rules (service/my_rules.py: the user's layer over the
active profile, in the user's config dir), never into a profile: first match wins and My rules
run first, so a click on an item beats general rules, and switching profiles keeps it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import pairing
from . import origins, parent_guard, security, validate as v
from .config import CONFIG, TOKEN
from .errors import ApiError, json_response
from .extension_common import LOCK, TIMER, extension_state, page_rule
from .extension_rules import add_rule, insert_rule, remove_rule, undo
from .extension_switches import cancel_timer, pause, restore_pause, switch

# Also named here for callers that knew them as extension_api.*
__all__ = ["insert_rule", "page_rule", "remove_rule", "setup"]


def setup(app: web.Application) -> None:
    router = app.router
    router.add_post("/api/pair", pair, name="extension_pair")
    router.add_get("/api/extension/state", state, name="extension_state")
    router.add_post("/api/extension/rules", add_rule, name="extension_rules")
    router.add_post("/api/extension/undo", undo, name="extension_undo")
    router.add_post("/api/extension/switch", switch, name="extension_switch")
    router.add_post("/api/extension/pause", pause, name="extension_pause")
    app[LOCK] = asyncio.Lock()
    app[TIMER] = {}
    app.on_startup.append(restore_pause)
    app.on_cleanup.append(cancel_timer)


async def pair(request: web.Request) -> web.Response:
    """A one-time code (or, pasted from the data dir, the token itself) buys the token; an
    extension that pairs becomes the only one the service accepts (origins.py)."""
    body = await v.json_body(request, {"code": str})
    if "code" in body:
        try:
            await asyncio.to_thread(pairing.redeem, request.app[CONFIG].data_dir, body["code"])
        except pairing.PairingError as exc:
            raise ApiError(403, str(exc), code=exc.code) from None
    elif not security.bearer_matches(request.headers.get("Authorization"), request.app[TOKEN]):
        raise ApiError(401, "missing or wrong token", headers={"WWW-Authenticate": "Bearer"}, code="bad_token")
    origin = request.headers.get("Origin")
    if origin is not None and security.is_extension_origin(origin):
        await origins.record(request.app, origin)
    return json_response({"token": request.app[TOKEN]})


async def state(request: web.Request) -> web.Response:
    v.query(request, {})
    parent_guard.note_extension_contact(request.app)  # its silence is a tamper signal
    return json_response(await extension_state(request.app))
