"""Test pages for Bilibili home, X home and YouTube home, plus the feed APIs they call.

Like the real sites, each page fetches its feed JSON (the adapters' fixture bodies, served at
the real API paths) and renders cards with the class names the adapters' `dom` sections select.
The server runs on a thread of the test process, over TLS with the e2e tests' certificates.
Bilibili's report endpoints are there too (tests/e2e/bilibili_reports.py, `Site.reports`), and
the Bilibili page logs the browser in the way the real site does: a `SESSDATA` (HttpOnly) and a
`bili_jct` (readable by scripts: it is the CSRF token) cookie for .bilibili.com.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import ssl
import threading
from pathlib import Path

from aiohttp import web

from tests.e2e.bilibili_reports import ReportDesk
from tests.e2e.replay import body_key, load_cases

PAGES = Path(__file__).resolve().parent / "pages"
PAGE_HOSTS = ("www.bilibili.com", "x.com", "www.youtube.com")
URLS = {"bilibili": "https://www.bilibili.com/", "x": "https://x.com/home",
        "youtube": "https://www.youtube.com/"}


def _case(cases, body_file: str):
    return next(c for *_, c in cases if c.body_path().name == body_file)


def build_pages(cases) -> dict[tuple[str, str], str]:
    """(host, path) -> HTML."""
    html = _case(cases, "web-home-page.html").body_path().read_text(encoding="utf-8")
    marker = "window.__INITIAL_STATE__="
    state, _ = json.JSONDecoder().raw_decode(html, html.index(marker) + len(marker))
    home_body = _case(cases, "browse-home.json").data["request_body"]
    fill = {"/*STATE*/": json.dumps(state, ensure_ascii=False),
            "/*HOME_BODY*/": json.dumps(home_body)}

    def page(name: str) -> str:
        text = (PAGES / f"{name}.html").read_text(encoding="utf-8")
        for key, value in fill.items():
            text = text.replace(key, value)
        return text
    return {("www.bilibili.com", "/"): page("bilibili"), ("x.com", "/home"): page("x"),
            ("www.youtube.com", "/"): page("youtube")}


def login_cookies(response: web.Response, session: dict[str, str]) -> web.Response:
    """Set-Cookie as bilibili.com does after a login (values are per test session)."""
    for name, value in session.items():
        response.set_cookie(name, value, domain=".bilibili.com", path="/", max_age=86400 * 180,
                            secure=True, httponly=name == "SESSDATA")
    return response


def build_app(reports: ReportDesk, session: dict[str, str]) -> web.Application:
    cases = load_cases()
    pages = build_pages(cases)
    exact = {(h, p, q, k): (b, t) for h, p, q, k, b, t, _ in cases}
    by_path = {(h, p): (b, t) for h, p, q, k, b, t, _ in cases}

    def cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin:  # www.bilibili.com calls api.bilibili.com with credentials
            response.headers.update({"Access-Control-Allow-Origin": origin,
                                     "Access-Control-Allow-Credentials": "true",
                                     "Access-Control-Allow-Headers": "content-type",
                                     "Vary": "Origin"})
        return response

    async def handle(request: web.Request) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0]
        if reports.handles(host, request.path):  # before the generic preflight: it records them
            return await reports.handle(request)
        if request.method == "OPTIONS":
            return cors(request, web.Response(status=204))
        if request.method == "GET" and (host, request.path) in pages:
            page = web.Response(text=pages[host, request.path], content_type="text/html", charset="utf-8")
            return login_cookies(page, session) if host.endswith("bilibili.com") else page
        key = body_key(await request.read())
        found = exact.get((host, request.path, request.query_string, key)) or (
            None if key else by_path.get((host, request.path)))
        if found is None:
            return cors(request, web.Response(status=404, text=f"nothing at {host}{request.path}"))
        body, content_type = found
        return cors(request, web.Response(body=body, headers={"content-type": content_type}))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


class Site:
    """The server on its own event loop thread; `port` once started."""

    def __init__(self, certs: Path):
        self.certs = certs
        self.port = 0
        self.reports = ReportDesk()
        self.bilibili_session = {"SESSDATA": secrets.token_hex(16), "bili_jct": secrets.token_hex(16)}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-site", daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> Site:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    async def _start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs / "server.pem", self.certs / "server.key")
        self._runner = web.AppRunner(build_app(self.reports, self.bilibili_session), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
