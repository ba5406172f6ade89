"""The parent's login on the LAN dashboard: the parent PIN (or a longer password set the same
way, `feedlens parent set-pin`), checked by the same argon2id hash and lockout as every other
PIN (minors/pin.py), counted per LAN client address; sessions with an expiry; every attempt
an audit row.

Session cookie: random, kept here as a hash only, `Secure; HttpOnly; SameSite=Strict`. The
login form carries a double-submit token (a cookie and a hidden field that must match) and
its Origin must be the LAN dashboard's own, so no other page can log a device in or out.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from aiohttp import web

from ..minors import audit
from . import parent_guard, render as r, security
from .config import CONFIG, SERVICE
from .lang import request_language, safe_next

SESSIONS = web.AppKey("feedlens_lan_sessions", dict)  # sha256(session id) -> Session
COOKIE = "feedlens_lan"
PRE_COOKIE = "feedlens_lan_login"  # the login form's double-submit token
SESSION_TTL = 12 * 3600.0  # absolute: a lost phone's session ends the same day
IDLE_TTL = 3600.0
MAX_SESSIONS = 32


@dataclass
class Session:
    expires: float
    idle_until: float
    client: str


def setup(front: web.Application) -> None:
    front[SESSIONS] = {}
    front.router.add_get("/login", login_page, name="lan_login")
    front.router.add_post("/login", login, name="lan_login_post")
    front.router.add_post("/logout", logout, name="lan_logout")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def client_of(request: web.Request) -> str:
    return f"lan:{request.remote}"


def current(request: web.Request, now: float | None = None) -> Session | None:
    """The request's live session (its idle timer restarted), or None."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    now = time.time() if now is None else now
    sessions = request.app[SESSIONS]
    found = sessions.get(_digest(value))
    if found is None or now >= found.expires or now >= found.idle_until:
        sessions.pop(_digest(value), None)
        return None
    found.idle_until = now + IDLE_TTL
    return found


def login_response(request: web.Request, status: int = 401, notice: str | None = None) -> web.Response:
    """The login form, with a fresh double-submit token."""
    pre = secrets.token_urlsafe(24)
    lang = request_language(request)
    response = r.html_response(request, "household_login.html", lang,
                               {"pre": pre, "notice": notice, "next": _next(request)}, status=status)
    response.set_cookie(PRE_COOKIE, pre, secure=True, httponly=True, samesite="Strict", path="/login")
    return response


def _next(request: web.Request) -> str:
    """Where the login goes on to: the page asked for, a local path only (no open redirect)."""
    target = safe_next(request.query.get("next") or (request.path if request.method == "GET" else "/"))
    return "/" if target == "/login" else target


async def login_page(request: web.Request) -> web.Response:
    return login_response(request, 200)


async def login(request: web.Request) -> web.Response:
    service = _service(request)
    store = service[CONFIG].runtime.store
    form = await request.post()
    pre = request.cookies.get(PRE_COOKIE, "")
    where = dict(route="lan_login", method="POST", detail=client_of(request))
    if not pre or not security.secret_matches(str(form.get("pre", "")), pre):
        await audit.record(store, outcome="refused_login_form", **where)
        return login_response(request, 403, "refused")
    verdict = await parent_guard.parent_pin(service).verify(str(form.get("password", "")),
                                                            client_of(request))
    if not verdict.ok:
        outcome = {"locked": "refused_locked_out", "unset": "refused_pin_unset"}.get(
            verdict.reason, "refused_wrong_pin")
        await audit.record(store, outcome=outcome, **where)
        status = 429 if verdict.reason == "locked" else 403
        return login_response(request, status, {"locked": "locked_out", "unset": "pin_unset"}.get(
            verdict.reason, "wrong"))
    await audit.record(store, outcome="login", **where)
    value, now = secrets.token_urlsafe(32), time.time()
    sessions = request.app[SESSIONS]
    sessions[_digest(value)] = Session(now + SESSION_TTL, now + IDLE_TTL, client_of(request))
    while len(sessions) > MAX_SESSIONS:
        sessions.pop(next(iter(sessions)))
    response = see_other(safe_next(str(form.get("next", "/"))))
    response.set_cookie(COOKIE, value, secure=True, httponly=True, samesite="Strict", path="/",
                        max_age=int(SESSION_TTL))
    response.del_cookie(PRE_COOKIE, path="/login")
    return response


async def logout(request: web.Request) -> web.Response:
    value = request.cookies.get(COOKIE)
    if value:
        request.app[SESSIONS].pop(_digest(value), None)
    response = see_other("/login")
    response.del_cookie(COOKIE, path="/")
    return response


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _service(request: web.Request) -> web.Application:
    return request.app[SERVICE]
