"""The server's gates: the admin token (a bearer header on the JSON API, never a cookie, so no
other site's page can make a browser send it: no CSRF; the admin page's session cookie and its
CSRF-checked forms are admin_session's), the Origin check (a browser's cross-site request is
refused outright), the participants' signatures and their upload rate."""

from __future__ import annotations

import hmac
import time

from aiohttp import web

from ..research import signing

TOKEN = web.AppKey("admin_token", str)


class Fail(Exception):
    """A refusal: the status and a one-line message, answered as JSON by json_errors."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


def fail(status: int, message: str, **headers) -> Fail:
    return Fail(status, message, headers)


@web.middleware
async def json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except Fail as exc:
        return web.json_response({"error": str(exc)}, status=exc.status, headers=exc.headers)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "the request is too large"}, status=413)


def origin_guard(origin: str):
    @web.middleware
    async def guard(request: web.Request, handler):
        given = request.headers.get("Origin")
        if given is not None and given.rstrip("/") != origin:
            raise fail(403, "cross-origin requests are refused")
        return await handler(request)
    return guard


def require_admin(request: web.Request) -> None:
    token = request.app[TOKEN]
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise fail(401, "the admin token is missing or wrong")


def signed_by(request: web.Request, key: bytes, body: bytes) -> bool:
    headers = request.headers
    return signing.valid(key, request.method, request.path, headers.get(signing.TIMESTAMP, ""),
                         body, headers.get(signing.SIGNATURE, ""), time.time())


class RateLimit:
    """A token bucket per participant: `burst` uploads at once, `per_minute` sustained."""

    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, who: tuple[str, str]) -> float:
        """0 when allowed, else the seconds to wait."""
        now = self.clock()
        tokens, last = self._buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[who] = (tokens - 1.0, now)
            return 0.0
        self._buckets[who] = (tokens, now)
        return (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
