"""Which browser extension may talk to the service: the one that paired.

Any installed extension can send requests to 127.0.0.1, and its Origin says which one it is
(`chrome-extension://<id>`, `moz-extension://<uuid>`; a page cannot forge it). Pairing
(`POST /api/pair`, with a one-time code or the token) records the claiming extension's origin
(feedlens.pairing); from then on only that origin and the service's own pages are accepted.
Another extension may still pair (the code or the token is the secret, and pairing again
replaces the origin, e.g. after reinstalling a Firefox add-on, whose uuid changes) and read
the token-less health answer that tells the options page the service is there; everything
else from it is refused before its request is read.

Paired before origins were recorded (an upgrade): the first extension origin that presents
the token is recorded, since only a paired extension has it.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import pairing
from . import security
from .config import CONFIG, TOKEN

PAIRED = web.AppKey("feedlens_paired_origin", dict)  # {"origin": str | None}
OPEN_ROUTES = frozenset({"extension_pair"})  # any extension: the secret is in the body
TOKENLESS_ROUTES = frozenset({"health"})  # any extension, without credentials only
PREFLIGHT_PATHS = frozenset({"/api/pair", "/api/health"})


def setup(app: web.Application) -> None:
    app[PAIRED] = {"origin": None}
    app.on_startup.append(_load)


async def _load(app: web.Application) -> None:
    app[PAIRED]["origin"] = await asyncio.to_thread(pairing.paired_origin, app[CONFIG].data_dir)


def paired(app: web.Application) -> str | None:
    return app[PAIRED]["origin"]


async def record(app: web.Application, origin: str) -> None:
    """Remember `origin` as the paired extension (replacing any earlier one)."""
    await asyncio.to_thread(pairing.record_origin, app[CONFIG].data_dir, origin)
    app[PAIRED]["origin"] = origin


async def admit(request: web.Request, origin: str, port: int) -> bool:
    """Whether a request with this Origin header may go on."""
    if security.is_own_origin(origin, port):
        return True
    if not security.is_extension_origin(origin):
        return False
    if origin == paired(request.app) or _open_to_any_extension(request):
        return True
    if paired(request.app) is None and security.bearer_matches(
            request.headers.get("Authorization"), request.app[TOKEN]):
        await record(request.app, origin)  # paired before origins were recorded
        return True
    return False


def _open_to_any_extension(request: web.Request) -> bool:
    if request.method == "OPTIONS":
        return request.path in PREFLIGHT_PATHS
    route = request.match_info.route.name
    return route in OPEN_ROUTES or (
        route in TOKENLESS_ROUTES and "Authorization" not in request.headers)
