"""The LAN dashboard (household mode) as aiohttp test clients: the parent's login with the PIN
(double-submit token, Origin, per-client lockout, audit rows, session expiry), the dashboard
forwarded only with a session, never /api and never with a token; the child's block page and
time request without one. tests/browser/test_household.py does the same in Chromium over TLS."""

from __future__ import annotations

import re

import aiohttp

from feedlens.minors import audit
from feedlens.minors.pin import MAX_FAILURES
from feedlens.service import ServiceConfig, household_login, init_app, parent_guard
from feedlens.service.household import init_front

from .household_support import LAN_HOST, PIN
from .service_support import rules_dir, runtime  # noqa: F401 (fixtures)

PORT = 8443
ORIGIN = f"https://{LAN_HOST}:{PORT}"


async def front_client(aiohttp_client, runtime, port: int):
    """The loopback service on `port` (the front forwards there), and its LAN front."""
    config = ServiceConfig(runtime, port=port, manage_runtime=True, household=(LAN_HOST, PORT))
    service = await aiohttp_client(init_app(config), server_kwargs={"port": port})
    await parent_guard.parent_pin(service.app).set_pin(PIN)
    client = await aiohttp_client(init_front(service.app), headers={"Host": f"{LAN_HOST}:{PORT}"},
                                  cookie_jar=aiohttp.DummyCookieJar())
    return service, Browser(client)


class Browser:
    """The test client with a browser's cookies over HTTPS: the front's cookies are `Secure`, so
    a cookie jar on the test's plain-HTTP connection would never send them back."""

    def __init__(self, client):
        self.client, self.app, self.cookies = client, client.app, {}

    async def request(self, method: str, path: str, headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = await self.client.request(method, path, headers=headers, **kwargs)
        for name, morsel in response.cookies.items():
            if morsel.value and morsel["max-age"] != "0":
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)
        return response

    async def get(self, path: str, **kwargs):
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs):
        return await self.request("POST", path, **kwargs)


async def log_in(front, password: str, origin: str = ORIGIN, next: str = "/parent"):
    page = await front.get("/login")
    pre = re.search(r'name="pre" value="([^"]+)"', await page.text()).group(1)
    return await front.post("/login", data={"pre": pre, "password": password, "next": next},
                            headers={"Origin": origin}, allow_redirects=False)


async def test_the_parent_logs_in_and_reaches_the_dashboard_and_nothing_else_does(aiohttp_client, runtime, unused_tcp_port):
    service, front = await front_client(aiohttp_client, runtime, unused_tcp_port)
    token = (runtime.config.data_dir / "token").read_text().strip()
    # without a login: the login form, for every page; the API is not there at all
    for path in ("/", "/parent", "/rules", "/setup/ca.pem", "/api/health"):
        response = await front.get(path, allow_redirects=False)
        assert response.status == 401 and 'action="/login"' in await response.text(), path
    refused = await front.get("/api/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 403 and (await refused.json())["code"] == "lan_token_refused"
    assert (await front.get("/", headers={"Host": "evil.example:8443"})).status == 421

    assert (await log_in(front, PIN, origin="https://evil.example")).status == 403  # login CSRF
    no_token = await front.post("/login", data={"password": PIN}, headers={"Origin": ORIGIN})
    assert no_token.status == 403 and household_login.COOKIE not in front.cookies
    logged = await log_in(front, PIN)
    assert logged.status == 303 and logged.headers["Location"] == "/parent"
    cookie = logged.cookies[household_login.COOKIE]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Strict"
    parent = await front.get("/parent")
    assert parent.status == 200 and 'href="/enrol"' in await parent.text()
    assert (await front.get("/api/health")).status == 404  # forwarded never: loopback only
    still = await front.get("/parent", headers={"Authorization": f"Bearer {token}"})
    assert still.status == 403  # a session does not make the token welcome either

    # a form of the forwarded dashboard: our origin passes, another site's is refused here
    page = await (await front.get("/parent")).text()
    csrf = re.search(r'action="/parent/pin"[^>]*><input type="hidden" name="csrf" value="([0-9a-f]+)"', page)
    form = {"csrf": csrf.group(1), "pin": "wrong one", "new_pin": "x", "confirm_pin": "y"}
    assert (await front.post("/parent/pin", data=form, headers={"Origin": "https://evil.example"})).status == 403
    same = await front.post("/parent/pin", data=form, headers={"Origin": ORIGIN}, allow_redirects=False)
    assert same.status == 303 and same.headers["Location"].startswith("/parent")

    # the session ends: logged out, the pages ask for the login again
    assert (await front.post("/logout", headers={"Origin": ORIGIN}, allow_redirects=False)).status == 303
    assert (await front.get("/parent", allow_redirects=False)).status == 401
    rows = [(r["route"], r["outcome"]) for r in await audit.entries(runtime.store)]
    assert ("lan_login", "login") in rows and ("lan_token", "refused_token") in rows
    assert ("lan_login", "refused_login_form") in rows


async def test_wrong_passwords_lock_this_client_out_and_a_session_expires(aiohttp_client, runtime, monkeypatch, unused_tcp_port):
    service, front = await front_client(aiohttp_client, runtime, unused_tcp_port)
    statuses = [(await log_in(front, "not the pin")).status for _ in range(MAX_FAILURES)]
    assert statuses == [403] * (MAX_FAILURES - 1) + [429]  # the last wrong one starts the lockout
    locked = await log_in(front, PIN)  # even the right PIN, until the lockout ends
    assert locked.status == 429 and "Too many wrong tries" in await locked.text()
    outcomes = [r["outcome"] for r in await audit.entries(runtime.store) if r["route"] == "lan_login"]
    assert outcomes.count("refused_wrong_pin") == MAX_FAILURES - 1
    assert outcomes.count("refused_locked_out") == 2
    # the lockout is this client's: the console (feedlens parent) still gets in
    assert (await parent_guard.parent_pin(service.app).verify(PIN, "console")).ok

    sessions = front.app[household_login.SESSIONS]
    sessions.clear()
    monkeypatch.setattr(household_login, "IDLE_TTL", 0.0)  # the next request finds it expired
    await runtime.store.run_write(lambda conn: conn.execute("DELETE FROM parent_pin_failures"))
    elsewhere = await log_in(front, PIN, next="/\\evil.example/")  # never an open redirect
    assert (elsewhere.status, elsewhere.headers["Location"]) == (303, "/")
    assert (await front.get("/parent", allow_redirects=False)).status == 401
    assert sessions == {}


async def test_a_child_reaches_the_block_page_and_asks_for_time(aiohttp_client, runtime, unused_tcp_port):
    service, front = await front_client(aiohttp_client, runtime, unused_tcp_port)
    page = await front.get("/blocked")
    assert page.status == 200 and 'action="/__feedlens/ask-time"' in await page.text()
    asked = await front.post("/__feedlens/ask-time", data={"minutes": "15", "note": "homework"},
                             headers={"Origin": ORIGIN})
    assert asked.status == 200
    (request,) = await runtime.minors.time_requests()
    assert request["minutes"] == 15 and request["device"] == "addr:127.0.0.1"
    forged = await front.post("/__feedlens/ask-time", data={"minutes": "15"},
                              headers={"Origin": "https://evil.example"})
    assert forged.status == 403
    assert (await front.get("/proxy.pac")).status == 200
