"""Request guards, outermost first: Host/Origin + CORS, errors as JSON, the token."""

from __future__ import annotations

import logging

from aiohttp import web

from . import origins, security
from .config import CONFIG, TOKEN
from .errors import ApiError, error_response, json_error
from .lang import request_language

log = logging.getLogger(__name__)

# Routes reachable without the token: the dashboard checks its own credentials, and health
# answers a minimal {ok, version} to anyone local.
# pairing: the one-time code is the secret; lang: sets a display-language cookie, nothing else;
# proxy_pac: the platforms' sites and the proxy address, fetched by devices' network settings
PUBLIC_ROUTES = frozenset({"dashboard", "favicon", "extension_pair", "lang", "proxy_pac"})
TOKEN_OPTIONAL_ROUTES = frozenset({"health"})
# Dashboard sub-pages and their forms check the dashboard cookie themselves (service/pages.py).
PAGE_PREFIX = "page_"

CORS_METHODS = "GET, POST, PUT, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # same-origin: our own form posts carry our Origin; other sites learn nothing from us.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@web.middleware
async def origin_guard(request: web.Request, handler) -> web.StreamResponse:
    port = security.local_port(request, request.app[CONFIG].bind_port)
    origin = request.headers.get("Origin")
    lang = request_language(request)
    if not security.host_allowed(request.headers.get("Host"), port):
        response = json_error(403, "Host header must name this service on loopback",
                              code="host_refused", lang=lang)
    elif origin is not None and not _page_null(origin, request) and not await origins.admit(
            request, origin, port):
        response = _origin_refused(origin, lang)
    elif request.method == "OPTIONS":
        response = _preflight(origin)
    else:
        response = await handler(request)
        if origin is not None and origin != "null":
            response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _origin_refused(origin: str, lang: str) -> web.Response:
    if security.is_extension_origin(origin):  # the extension shows "pair again"
        return json_error(403, f"extension {origin!r} is not the one that paired: pair it again",
                          code="extension_not_paired", params={"origin": repr(origin)}, lang=lang)
    return json_error(403, f"origin {origin!r} is not allowed", code="origin_refused",
                      params={"origin": repr(origin)}, lang=lang)


def _page_null(origin: str, request: web.Request) -> bool:
    # A hidden origin on a dashboard page or form: pages.form_action decides from Sec-Fetch-Site.
    return origin == "null" and (request.match_info.route.name or "").startswith(PAGE_PREFIX)


def _preflight(origin: str | None) -> web.Response:
    response = web.Response(status=204)
    response.headers["Allow"] = CORS_METHODS
    if origin is not None:
        response.headers.update({
            "Access-Control-Allow-Origin": origin,  # exact echo, never "*"
            "Access-Control-Allow-Methods": CORS_METHODS,
            "Access-Control-Allow-Headers": CORS_HEADERS,
            "Access-Control-Max-Age": "600",
        })
    return response


@web.middleware
async def errors_to_json(request: web.Request, handler) -> web.StreamResponse:
    lang = request_language(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc, lang)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() not in ("content-type", "content-length")}
        return json_error(exc.status, exc.text or exc.reason, headers=headers, lang=lang)
    except Exception:
        log.exception("service: %s %s failed", request.method, request.path)
        return json_error(500, "internal error (see the feedlens log)", code="internal_error",
                          lang=lang)


@web.middleware
async def require_token(request: web.Request, handler) -> web.StreamResponse:
    # Decided by the matched route, not the path text, so anything unknown needs the token.
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES or (route or "").startswith(PAGE_PREFIX):
        return await handler(request)
    header = request.headers.get("Authorization")
    if header is None and route in TOKEN_OPTIONAL_ROUTES:
        return await handler(request)  # the view answers without private details
    if not security.bearer_matches(header, request.app[TOKEN]):
        raise ApiError(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                            "(the token is in the data directory's 'token' file)",
                       headers={"WWW-Authenticate": "Bearer"}, code="bad_token")
    return await handler(request)
