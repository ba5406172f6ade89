"""One-time dashboard links, like Jupyter's: `feedlens run` prints `/?token=<one-time>`.

Opening the link once sets the dashboard cookie (dashboard.py) and spends the token: a link
left in the terminal scroll-back, the shell history or a browser history opens nothing later.
Tokens live in this process's memory only (a restart prints a new link) and expire after a day
even unused. The API token itself still opens the dashboard (`/?token=<data dir's token file>`):
whoever can read that file can do everything anyway.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from aiohttp import web

from . import security
from .config import CONFIG

LINKS = web.AppKey("feedlens_login_links", dict)  # sha256(token) -> expiry
TTL = 24 * 3600.0
MAX_LINKS = 32  # unredeemed links kept; the oldest goes first


def setup(app: web.Application) -> None:
    app[LINKS] = {}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_token(app: web.Application, now: float | None = None) -> str:
    links = app[LINKS]
    token = secrets.token_urlsafe(32)
    links[_digest(token)] = (time.time() if now is None else now) + TTL
    while len(links) > MAX_LINKS:
        links.pop(next(iter(links)))
    return token


def new_link(app: web.Application) -> str:
    """A ready-to-click dashboard URL carrying a fresh one-time token."""
    config = app[CONFIG]
    return security.dashboard_url(config.bind_host, config.bind_port, new_token(app))


def redeem(app: web.Application, token: str, now: float | None = None) -> bool:
    """True once per token (and never after its expiry)."""
    expiry = app[LINKS].pop(_digest(token), None)
    return expiry is not None and (time.time() if now is None else now) < expiry
