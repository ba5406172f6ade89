"""The admin page's login: the admin token, typed once into the login form, is exchanged for a
session cookie; the token itself is never stored in the browser. The same model as the local
dashboard (feedlens.service.pages, through feedlens.webforms):

- the cookie is random, HttpOnly, SameSite=Strict (no other site's page makes the browser send
  it), Path=/admin (the participants' API never sees it), Secure behind https; the server keeps
  only its hash, in memory, for SESSION_TTL (a restart logs everyone out);
- every form carries a CSRF value, an HMAC of the session's secret bound to the form's action;
- a form must come from the server's own origin (Origin, or Sec-Fetch-Site when the browser
  hides it), and the Host header must name the server (DNS rebinding), checked before the
  session and before the form's body is read;
- failed logins are rate limited per client address.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from urllib.parse import urlsplit

from aiohttp import web

from .. import webforms
from .config import ServerConfig
from .guard import TOKEN, RateLimit

COOKIE = "feedlens_study_admin"
PATH = "/admin"
SESSION_TTL = 8 * 3600.0
MAX_SESSIONS = 64
SESSIONS = web.AppKey("admin_sessions", dict)     # sha256(secret) -> expiry
LOGINS = web.AppKey("admin_login_limit", RateLimit)


def setup(app: web.Application) -> None:
    app[SESSIONS] = {}
    app[LOGINS] = RateLimit(per_minute=10, burst=10)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def host_allowed(request: web.Request, config: ServerConfig) -> bool:
    """The Host header names this server as browsers reach it (public_url, or host:port)."""
    wanted = webforms.split_host(urlsplit(config.origin).netloc)
    given = webforms.split_host(request.headers.get("Host", ""))
    if wanted is None or given is None:
        return False
    default = 443 if config.origin.startswith("https:") else 80
    return (given[0], given[1] or default) == (wanted[0], wanted[1] or default)


def same_origin(request: web.Request, config: ServerConfig) -> bool:
    return host_allowed(request, config) and webforms.same_origin_form(
        request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"),
        lambda origin: origin.rstrip("/") == config.origin)


def session(request: web.Request) -> str | None:
    """The request's live session secret, or None."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    expiry = request.app[SESSIONS].get(_digest(secret))
    if expiry is None or expiry < time.time():
        request.app[SESSIONS].pop(_digest(secret), None)
        return None
    return secret


def login(request: web.Request, token: str, response: web.StreamResponse, secure: bool) -> bool:
    """Check the token; on success set a fresh session cookie on `response`."""
    if not webforms.secret_matches(token, request.app[TOKEN]):
        return False
    sessions = request.app[SESSIONS]
    secret = secrets.token_urlsafe(32)
    sessions[_digest(secret)] = time.time() + SESSION_TTL
    while len(sessions) > MAX_SESSIONS:
        sessions.pop(next(iter(sessions)))
    response.set_cookie(COOKIE, secret, path=PATH, httponly=True, samesite="Strict",
                        secure=secure, max_age=int(SESSION_TTL))
    return True


def logout(request: web.Request, response: web.StreamResponse) -> None:
    secret = request.cookies.get(COOKIE)
    if secret:
        request.app[SESSIONS].pop(_digest(secret), None)
    response.del_cookie(COOKIE, path=PATH)


def login_wait(request: web.Request) -> float:
    """Seconds a client must wait before trying another login (0: go on)."""
    return request.app[LOGINS].take(("login", request.remote or "?"))


def csrf(secret: str):
    return lambda action: webforms.csrf_value(secret, action)


def form_allowed(request: web.Request, form, secret: str) -> bool:
    """The form's csrf field is this session's value for this action."""
    return webforms.secret_matches(str(form.get("csrf", "")),
                                   webforms.csrf_value(secret, request.path))
