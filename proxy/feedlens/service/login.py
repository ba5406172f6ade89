"""One-time login codes for the dashboard: `feedlens run` prints `/?code=<one-time code>`.

The long-lived API token never appears in a URL, so it never lands in browser history,
terminal scroll-back or a screenshot of the address bar. A link carries a random code that
opens the dashboard once (dashboard.py sets the session cookie and redirects to a clean `/`)
and expires after a few minutes even unused. Codes live in this process's memory only, as
hashes. A fresh link: `feedlens dashboard` (the CLI asks `POST /api/login-link` with the
token) or the extension's Dashboard button (the same route).
"""

from __future__ import annotations

import hashlib
import secrets
import time

from aiohttp import web

from . import security, validate as v
from .config import CONFIG
from .errors import json_response

LINKS = web.AppKey("feedlens_login_links", dict)  # sha256(code) -> expiry
TTL = 300.0
MAX_LINKS = 32  # unredeemed codes kept; the oldest goes first


def setup(app: web.Application) -> None:
    app[LINKS] = {}


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()


def new_code(app: web.Application, now: float | None = None) -> str:
    links = app[LINKS]
    code = secrets.token_urlsafe(32)
    links[_digest(code)] = (time.time() if now is None else now) + TTL
    while len(links) > MAX_LINKS:
        links.pop(next(iter(links)))
    return code


def new_link(app: web.Application, code: str | None = None) -> str:
    """A ready-to-click dashboard URL carrying a fresh one-time code (or `code`)."""
    config = app[CONFIG]
    return security.dashboard_url(config.bind_host, config.bind_port, code or new_code(app))


def redeem(app: web.Application, code: str, now: float | None = None) -> bool:
    """True once per code (and never after its expiry)."""
    expiry = app[LINKS].pop(_digest(code), None)
    return expiry is not None and (time.time() if now is None else now) < expiry


async def link(request: web.Request) -> web.Response:
    """`POST /api/login-link` (token required): a fresh one-time link and its code."""
    v.query(request, {})
    code = new_code(request.app)
    return json_response({"url": new_link(request.app, code), "code": code, "expires_in": int(TTL)})
