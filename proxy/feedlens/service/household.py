"""Household mode: the parent's dashboard on the LAN address, over HTTPS, behind the parent's
login (docs/household.md).

A second, small aiohttp app (the "front") on the LAN address, in the same process and event
loop as the loopback service. It answers itself what a device needs without a login: the PAC
file, a device's enrolment page (enrol_device.py), the block page and "ask for more time"
(household_child.py), the login form. Everything else needs the parent's session and is
forwarded to the loopback dashboard (household_forward.py) with the dashboard's credentials;
`/api/` never is, and a request carrying any Authorization header (the extension's token) is
refused and audited: the extension's API stays on loopback.
"""

from __future__ import annotations

import logging
import ssl

from aiohttp import web

from .. import webforms
from ..addresses import host_port, lan_address
from ..minors import audit
from . import enrol_device, household_ca, household_child, household_forward, household_login, render
from .config import CONFIG, SERVICE
from .errors import json_error
from .middlewares import errors_to_json

log = logging.getLogger(__name__)

FRONT = web.AppKey("feedlens_household_front", dict)  # {"runner": the front's AppRunner or None}
ORIGIN = web.AppKey("feedlens_household_origin", str)  # https://host:port
MAX_BODY = 64 * 1024
PUBLIC = frozenset({"lan_login", "lan_login_post", "lan_logout", "lan_pac", "enrol_device",
                    "enrol_file", "enrol_assign", "child_blocked", "child_ask", "lan_lang"})
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store", "X-Frame-Options": "DENY",
            "Strict-Transport-Security": "max-age=31536000"}


def setup(service: web.Application) -> None:
    """On the loopback app: the front, when started, stops with it."""
    service[FRONT] = {"runner": None}
    service.on_cleanup.append(_stop_front)


async def _stop_front(service: web.Application) -> None:
    runner, service[FRONT]["runner"] = service[FRONT]["runner"], None
    if runner is not None:
        await runner.cleanup()


def init_front(service: web.Application) -> web.Application:
    host, port = service[CONFIG].household
    front = web.Application(middlewares=[lan_guard, errors_to_json], client_max_size=MAX_BODY)
    front[SERVICE] = service
    front[ORIGIN] = origin_of(host, port)
    render.setup(front)
    household_login.setup(front)
    enrol_device.setup(front)
    household_child.setup(front)
    household_forward.setup(front)  # last: its catch-all route
    return front


def origin_of(host: str, port: int) -> str:
    return f"https://{host_port(host, port)}"


def _host_ok(request: web.Request) -> bool:
    # DNS rebinding: only the LAN address we serve, at our port, names us.
    return request.headers.get("Host", "").lower() == request.app[ORIGIN].removeprefix("https://").lower()


def _same_origin(request: web.Request) -> bool:
    return webforms.same_origin_form(request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"),
                                     lambda origin: origin == request.app[ORIGIN])


@web.middleware
async def lan_guard(request: web.Request, handler) -> web.StreamResponse:
    service = request.app[SERVICE]
    route = request.match_info.route.name or ""
    if not _host_ok(request):
        response = json_error(421, "Host header must name this dashboard's LAN address", code="host_refused")
    elif "Authorization" in request.headers:
        await audit.record(service[CONFIG].runtime.store, route="lan_token", method=request.method,
                           outcome="refused_token", detail=household_login.client_of(request))
        response = json_error(403, "the LAN dashboard never accepts a token: the extension's API is "
                                   "on loopback only", code="lan_token_refused")
    elif request.method not in ("GET", "HEAD") and not _same_origin(request):
        response = json_error(403, "cross-site request refused", code="origin_refused")
    elif route not in PUBLIC and household_login.current(request) is None:
        response = (household_login.login_response(request) if request.method in ("GET", "HEAD")
                    else json_error(401, "log in first", code="login_required"))
    else:
        response = await handler(request)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def ssl_context(service: web.Application) -> ssl.SSLContext:
    host = service[CONFIG].household[0]
    cert, key = household_ca.lan_certificate(service[CONFIG].data_dir, host)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


async def serve_household(service: web.Application) -> web.AppRunner:
    """Start the LAN dashboard of a running service; the caller awaits `runner.cleanup()`."""
    host, port = service[CONFIG].household
    lan_address(host)
    runner = web.AppRunner(init_front(service), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context(service)).start()
    except BaseException:
        await runner.cleanup()
        raise
    service[FRONT]["runner"] = runner
    log.info("feedlens: household dashboard at %s", runner.app[ORIGIN])
    return runner
