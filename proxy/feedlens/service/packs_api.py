"""`POST /api/packs/update`: check the subscribed rule packs now (the dashboard's "update now"),
without waiting for the background updater or a backoff, and answer with what happened.
Token-protected like every /api route (middlewares.require_token)."""

from __future__ import annotations

from aiohttp import web

from . import validate as v
from .config import CONFIG
from .errors import ApiError, json_response


def setup(app: web.Application) -> None:
    app.router.add_post("/api/packs/update", update_now, name="packs_update")


async def update_now(request: web.Request) -> web.Response:
    """Body `{}` for every subscription or `{"name": NAME}` for one. The answer lists each
    check's result (updated, not modified, up to date, refused, failed) and the packs' status."""
    body = await v.json_body(request, {"name": str})
    name = body.get("name")
    updates = request.app[CONFIG].runtime.pack_updates
    outcomes = await updates.round(force=True, only=name)
    if name is not None and not outcomes:
        raise ApiError(404, f"no subscription named {name!r}", code="no_subscription",
                       params={"name": repr(name)})
    return json_response({
        "outcomes": [{"name": o.name, "result": o.result, "ok": o.ok, "message": o.message}
                     for o in outcomes],
        "packs": updates.health(),
    })
