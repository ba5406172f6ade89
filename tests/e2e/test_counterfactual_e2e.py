"""The opt-in counterfactual check through the real proxy (`feedlens run`, real mitmproxy, real
SQLite) against a local HTTPS upstream that answers for www.douyin.com (--resolve): off by
default (one upstream request per feed request, even with a declaration); on, and with the
user's declaration of "off", a paired request without the cookie, identifying headers or token
parameters; rate-limited; a later paired feed unlike the user's is a *suspected* revert with
reason counterfactual, never confirmed; and the user's response never waits for the paired
fetch: it arrives, the same bytes as with the option off, while the paired request hangs."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from aiohttp import web

from feedlens.choices.declare import declare

from .conftest import start_feedlens, wait_until

HOST = "www.douyin.com"
SECRETS = ("sessionid-secret-1", "ttwid-secret-2", "csrf-secret-3", "bearer-secret-4",
           "webid-secret-5", "mstoken-secret-6", "bogus-secret-7")
URL = (f"https://{HOST}/aweme/v1/web/tab/feed/?device_platform=webapp&aid=6383&count=10"
       f"&webid={SECRETS[4]}&msToken={SECRETS[5]}&a_bogus={SECRETS[6]}")
HEADERS = {"Cookie": f"sessionid={SECRETS[0]}; ttwid={SECRETS[1]}", "X-Secsdk-Csrf-Token": SECRETS[2],
           "Authorization": f"Bearer {SECRETS[3]}", "Referer": f"https://{HOST}/?from={SECRETS[0]}",
           "User-Agent": "Mozilla/5.0 feedlens-e2e", "Accept": "application/json"}
OWN = [f"74000000000000000{i:02d}" for i in range(10)]


def feed(ids: list[str]) -> dict:
    return {"status_code": 0, "has_more": 1, "aweme_list": [
        {"aweme_id": i, "aweme_type": 0, "desc": f"video {i}", "author": {"uid": "1", "nickname": "a"}}
        for i in ids]}


class Upstream:
    """An HTTPS server in a thread: the user's request (it has a cookie) gets OWN; a paired one
    gets a feed like the user's ("similar"), unlike it ("different"), or no answer ("hang")."""

    def __init__(self, certs):
        self.certs, self.requests, self.paired = certs, [], "similar"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> int:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> int:
        self.released = asyncio.Event()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs / "server.pem", self.certs / "server.key")
        app = web.Application()
        app.router.add_get("/aweme/v1/web/tab/feed/", self.feed)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        return self.runner.addresses[0][1]

    async def feed(self, request: web.Request) -> web.Response:
        seen = {"headers": dict(request.headers), "query": dict(request.query), "answered": False}
        self.requests.append(seen)
        if "Cookie" in request.headers:
            ids = OWN
        elif self.paired == "hang":
            await self.released.wait()
            ids = OWN
        else:
            ids = OWN[:8] + ["7411", "7412"] if self.paired == "similar" else [f"75{i}" for i in range(10)]
        seen["answered"] = True
        return web.json_response(feed(ids), headers={"Set-Cookie": f"ttwid={SECRETS[1]}; Path=/"})

    def user_requests(self) -> list[dict]:
        return [r for r in self.requests if "Cookie" in r["headers"]]

    def paired_requests(self) -> list[dict]:
        return [r for r in self.requests if "Cookie" not in r["headers"]]

    def stop(self) -> None:
        async def stop():
            self.released.set()
            await self.runner.cleanup()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def upstream(certs):
    server = Upstream(certs)
    server.port = server.start()
    yield server
    server.stop()


def start(tmp_path_factory, upstream, certs, *args):
    tmp = tmp_path_factory.mktemp("counterfactual")
    return start_feedlens(tmp, upstream.port, certs / "ca.pem", *args, hosts=[HOST])


def ask(fl) -> bytes:
    with fl.opener().open(urllib.request.Request(URL, headers=HEADERS), timeout=60) as response:
        assert response.status == 200
        return response.read()


def declare_off(fl) -> None:
    with sqlite3.connect(fl.db, timeout=30) as db:
        declare(db, "douyin", "not_personalised", time.time())


def tallies(fl) -> dict:
    return {k: v for k, v in fl.health()["counters"]["tallies"].items() if k.startswith("counterfactual.")}


def errors(fl) -> int:
    return fl.health()["counters"]["errors_by_adapter"].get("counterfactual", 0)


@pytest.fixture(scope="module")
def plain_body(tmp_path_factory, upstream, certs):
    """Off by default: the user's response through a proxy without the option."""
    fl = start(tmp_path_factory, upstream, certs)
    try:
        declare_off(fl)  # even with a declaration: off is off
        before = len(upstream.requests)
        body = ask(fl)
        assert len(upstream.requests) == before + 1 and upstream.requests[-1]["headers"]["Cookie"]
        assert tallies(fl) == {}  # decided before the response went on: nothing scheduled
        yield body
    finally:
        fl.proc.stop()


def test_off_by_default_one_upstream_request(plain_body, upstream):
    assert [i["aweme_id"] for i in json.loads(plain_body)["aweme_list"]] == OWN
    assert upstream.paired_requests() == []


def test_on_a_paired_request_without_login_rate_limited_and_only_suspected(
        plain_body, upstream, certs, tmp_path_factory):
    upstream.paired = "similar"
    fl = start(tmp_path_factory, upstream, certs, "--counterfactual")
    try:
        assert ask(fl) == plain_body  # no declaration yet: nothing to compare with, no fetch
        wait_until(lambda: tallies(fl).get("counterfactual.undeclared") == 1, 30, "the declaration read")
        assert upstream.paired_requests() == []

        declare_off(fl)
        assert ask(fl) == plain_body
        wait_until(lambda: tallies(fl).get("counterfactual.baseline") == 1, 30, "the baseline check")
        [paired] = upstream.paired_requests()
        assert paired["query"] == {"device_platform": "webapp", "aid": "6383", "count": "10"}
        assert paired["headers"]["User-Agent"] == "Mozilla/5.0 feedlens-e2e"
        assert not {"Cookie", "Authorization", "Referer", "X-Secsdk-Csrf-Token"} & set(paired["headers"])
        assert not any(secret in repr(paired) for secret in SECRETS)

        assert ask(fl) == plain_body  # within the interval: no second paired fetch
        assert tallies(fl)["counterfactual.rate_limited"] == 1 and len(upstream.paired_requests()) == 1
    finally:
        fl.proc.stop()

    # the rate limit is per run; the baseline is in the store: after a restart, a paired feed
    # unlike the user's is a suspected revert
    upstream.paired = "different"
    fl = start_feedlens(fl.data_dir.parent, upstream.port, certs / "ca.pem", "--counterfactual", hosts=[HOST])
    try:
        assert ask(fl) == plain_body
        wait_until(lambda: tallies(fl).get("counterfactual.suspected") == 1, 30, "the suspected check")
        assert len(upstream.paired_requests()) == 2 and not any(
            secret in repr(upstream.paired_requests()) for secret in SECRETS)
        status, answer = fl.api("/api/choices?platform=douyin")
        assert status == 200
        [row] = answer["choices"]
        assert row["status"] == "suspected" and not row["reverted"]
        assert [(r["sure"], r["reason"]) for r in row["reverts"]] == [("suspected", "counterfactual")]
        assert row["reverts"][0]["evidence"][0]["overlap"] == 0.0
        listed = json.loads(subprocess.run(
            [sys.executable, "-m", "feedlens.cli", "choices", "--data-dir", str(fl.data_dir), "--json"],
            capture_output=True, text=True, check=True).stdout)
        [cli] = [r for r in listed if r["platform"] == "douyin"]
        assert cli["suspected"] == 1 and cli["reverts"] == 0
    finally:
        fl.proc.stop()
    stored = fl.db.read_bytes()
    assert not any(secret.encode() in stored for secret in SECRETS)


def test_the_users_response_never_waits_for_a_hanging_paired_fetch(plain_body, upstream, certs, tmp_path_factory):
    upstream.paired = "hang"
    fl = start(tmp_path_factory, upstream, certs, "--counterfactual")
    try:
        declare_off(fl)
        before = len(upstream.paired_requests())
        assert ask(fl) == plain_body  # complete, the same bytes as without the option
        wait_until(lambda: len(upstream.paired_requests()) == before + 1, 30, "the paired request")
        # the paired request is still unanswered and the check has not ended (nor failed)
        assert upstream.paired_requests()[-1]["answered"] is False
        assert tallies(fl) == {"counterfactual.scheduled": 1} and errors(fl) == 0
        assert ask(fl) == plain_body  # the check under way: no second one, no waiting either
        # the paired fetch gives up (its timeout): counted as an error, never raised
        wait_until(lambda: tallies(fl).get("counterfactual.failed") == 1, 60, "the paired fetch to time out")
        assert errors(fl) == 1 and fl.proc.alive()
        assert tallies(fl)["counterfactual.rate_limited"] == 1
        assert len(upstream.paired_requests()) == before + 1
    finally:
        fl.proc.stop()
