"""Bilibili's two report endpoints, answered the way api.bilibili.com answers them.

    POST https://api.bilibili.com/x/v2/reply/report              (comment: type, oid, rpid, reason, content, csrf)
    POST https://api.bilibili.com/x/web-interface/archive/appeal (video: aid, tid, desc, attach, csrf)

Both want the logged-in session (the SESSDATA cookie, else code -101) and `csrf` equal to the
`bili_jct` cookie (else -111). The first report of a target answers code 0, the same target again
12008 (already reported), a report sooner than `too_fast` seconds after the last accepted one
12019 (too often). CORS answers https://www.bilibili.com with credentials, preflight included.

Every request that reaches the endpoints is recorded (`requests`), so a test can assert it got
exactly one. `down = True` makes them answer 503 (still recorded) for the failure tests.
Used by the replay server (tests/e2e/replay.py) and the browser tests' site (tests/browser/site.py).
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qsl

from aiohttp import web

HOST = "api.bilibili.com"
ORIGIN = "https://www.bilibili.com"
KINDS = {"/x/v2/reply/report": "comment", "/x/web-interface/archive/appeal": "video"}
# What identifies the reported thing, per endpoint (a second report of it is a duplicate).
TARGET_FIELDS = {"comment": ("type", "oid", "rpid"), "video": ("aid",)}
OK, NOT_LOGGED_IN, BAD_CSRF, DUPLICATE, TOO_OFTEN = 0, -101, -111, 12008, 12019
MESSAGES = {OK: "0", NOT_LOGGED_IN: "账号未登录", BAD_CSRF: "csrf 校验失败",
            DUPLICATE: "已经举报过了", TOO_OFTEN: "举报过于频繁"}


class ReportDesk:
    """The endpoints' state: what was received, what was reported, whether they are up."""

    def __init__(self, too_fast: float = 2.0):
        self.too_fast = too_fast
        self.down = False
        self.requests: list[dict] = []
        self._reported: set[tuple] = set()
        self._last_accepted: float | None = None
        self._lock = threading.Lock()  # the test thread reads while the server's loop writes

    @staticmethod
    def handles(host: str, path: str) -> bool:
        return host == HOST and path in KINDS

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.requests)

    def received(self, method: str = "POST") -> list[dict]:
        return [r for r in self.snapshot() if r["method"] == method]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._reported.clear()
            self._last_accepted = None
            self.down = False

    async def handle(self, request: web.Request) -> web.Response:
        record = {"time": time.time(), "method": request.method, "path": request.path,
                  "origin": request.headers.get("Origin"),
                  "content_type": request.headers.get("Content-Type", ""),
                  "cookies": dict(request.cookies), "fields": {}, "code": None, "status": None}
        if request.method == "POST":
            record["fields"] = await _fields(request)
        if request.method == "OPTIONS":
            response = self._cors(request, web.Response(status=204))
        elif self.down:
            response = self._cors(request, web.Response(status=503, text="Service Unavailable"))
        elif request.method != "POST":
            response = self._cors(request, web.Response(status=405))
        else:
            record["code"] = self._answer(KINDS[request.path], record["fields"], record["cookies"])
            body = {"code": record["code"], "message": MESSAGES[record["code"]], "ttl": 1}
            response = self._cors(request, web.json_response(body))
        record["status"] = response.status
        with self._lock:
            self.requests.append(record)
        return response

    def _answer(self, kind: str, fields: dict, cookies: dict) -> int:
        if not cookies.get("SESSDATA"):
            return NOT_LOGGED_IN
        if not cookies.get("bili_jct") or fields.get("csrf") != cookies["bili_jct"]:
            return BAD_CSRF
        target = (kind, *(fields.get(name, "") for name in TARGET_FIELDS[kind]))
        now = time.monotonic()
        with self._lock:
            if target in self._reported:
                return DUPLICATE
            if self._last_accepted is not None and now - self._last_accepted < self.too_fast:
                return TOO_OFTEN
            self._reported.add(target)
            self._last_accepted = now
        return OK

    @staticmethod
    def _cors(request: web.Request, response: web.Response) -> web.Response:
        if request.headers.get("Origin") == ORIGIN:  # only the site's own pages may read answers
            response.headers.update({
                "Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "content-type", "Vary": "Origin"})
        return response


async def _fields(request: web.Request) -> dict:
    """Form or JSON body as a flat dict of strings (Bilibili takes both for these calls)."""
    raw = await request.read()
    if request.content_type == "application/json":
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


# ---- control routes for a replay server in another process ----------------------------------

def control_routes(desk: ReportDesk):
    """GET /__replay/requests (what the endpoints received), POST /__replay/down?on=1|0,
    POST /__replay/reset: for tests whose replay server runs as a separate process."""

    async def requests(_request: web.Request) -> web.Response:
        return web.json_response(desk.snapshot())

    async def down(request: web.Request) -> web.Response:
        desk.down = request.query.get("on", "1") == "1"
        return web.json_response({"down": desk.down})

    async def reset(_request: web.Request) -> web.Response:
        desk.reset()
        return web.json_response({})

    return {("GET", "/__replay/requests"): requests, ("POST", "/__replay/down"): down,
            ("POST", "/__replay/reset"): reset}
