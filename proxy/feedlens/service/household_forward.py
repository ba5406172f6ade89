"""The logged-in parent's requests on the LAN dashboard, forwarded to the loopback dashboard.

The loopback service keeps every rule it has (its own CSRF fields, the parent PIN on each
change); the forward adds only the dashboard cookie (the parent logged in here) and names the
loopback service as Host and Origin, after household.py checked the LAN origin. `/api/` is never
forwarded: the extension's API stays on loopback, and nothing forwarded carries the token.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from . import security
from .config import CONFIG, SERVICE, TOKEN
from .errors import json_error

CLIENT = web.AppKey("feedlens_household_client", aiohttp.ClientSession)
REQUEST_HEADERS = ("Accept", "Accept-Language", "Content-Type", "Sec-Fetch-Site")
RESPONSE_HEADERS = ("Content-Type", "Content-Security-Policy", "Content-Disposition", "Location",
                    "Retry-After", "Refresh")
KEEP_COOKIES = ("feedlens_lang",)


def setup(front: web.Application) -> None:
    front.cleanup_ctx.append(_client_ctx)
    front.router.add_route("*", "/{tail:.*}", forward, name="lan_forward")


async def _client_ctx(front: web.Application):
    front[CLIENT] = aiohttp.ClientSession(auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())
    yield
    await front[CLIENT].close()


async def forward(request: web.Request) -> web.StreamResponse:
    if request.path == "/api" or request.path.startswith("/api/"):
        return json_error(404, "the API is on loopback only", code="lan_no_api")
    service = request.app[SERVICE]
    config = service[CONFIG]
    loopback = f"127.0.0.1:{config.bind_port}"
    headers = {k: request.headers[k] for k in REQUEST_HEADERS if k in request.headers}
    headers["Host"] = loopback
    if request.method not in ("GET", "HEAD"):
        headers["Origin"] = f"http://{loopback}"  # household.py checked the LAN origin
    cookies = {k: v for k, v in request.cookies.items() if k in KEEP_COOKIES}
    cookies[security.dashboard_cookie_name(config.bind_port)] = security.dashboard_cookie_value(service[TOKEN])
    headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    async with request.app[CLIENT].request(
            request.method, f"http://{loopback}{request.path_qs}", headers=headers,
            data=await request.read() if request.can_read_body else None,
            allow_redirects=False) as upstream:
        body = await upstream.read()
        out = {k: upstream.headers[k] for k in RESPONSE_HEADERS if k in upstream.headers}
    if "Location" in out:
        out["Location"] = out["Location"].replace(f"http://{loopback}", "", 1) or "/"
    return web.Response(body=body, status=upstream.status, headers=out)
