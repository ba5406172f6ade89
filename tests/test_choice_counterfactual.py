"""The counterfactual check against a local upstream (aiohttp on 127.0.0.1): off by default (no
request at all), sends none of the user's cookies or tokens (the upstream asserts), rate-limited
per platform, and a drop in overlap below the "off" baseline is recorded as suspected only."""

from __future__ import annotations

import sqlite3

import pytest
from aiohttp import web

from feedlens.choices.counterfactual import Counterfactual, Settings
from feedlens.choices.watchdog import Watchdog
from feedlens.features import install
from feedlens.store import Store

SECRETS = ("cookie-secret-1", "bearer-secret-2", "csrf-secret-3", "query-secret-4", "set-cookie-secret-5")
USER_HEADERS = {"Cookie": f"sessionid={SECRETS[0]}", "Authorization": f"Bearer {SECRETS[1]}",
                "X-CSRFToken": SECRETS[2], "User-Agent": "Mozilla/5.0 test", "Accept": "application/json"}
OWN = [f"v{i}" for i in range(10)]


class Upstream:
    def __init__(self):
        self.requests: list[dict] = []
        self.leaks: list[str] = []
        self.items = OWN[:8]  # a non-personalised feed much like the user's "off" feed

    async def feed(self, request: web.Request) -> web.Response:
        seen = {"headers": dict(request.headers), "query": dict(request.query)}
        self.requests.append(seen)
        text = repr(seen)  # a leak is kept, not raised: a 500 would only look like a failed fetch
        if any(secret in text for secret in SECRETS) or {"Cookie", "Authorization"} & set(request.headers):
            self.leaks.append(text)
        response = web.json_response({"data": [{"id": i} for i in self.items]})
        response.set_cookie("ttwid", SECRETS[4])
        return response


@pytest.fixture
async def upstream():
    server = Upstream()
    app = web.Application()
    app.router.add_get("/aweme/v1/web/tab/feed/", server.feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}/aweme/v1/web/tab/feed/?count=10&msToken={SECRETS[3]}&device_platform=webapp"
    yield server
    await runner.cleanup()


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def ids_of(doc):
    return [item["id"] for item in doc["data"]]


async def check(counterfactual, upstream, honoured=False):
    return await counterfactual.check(platform="douyin", choice="personalised_feed", device="127.0.0.1",
                                      method="GET", url=upstream.url, headers=USER_HEADERS, own_ids=OWN,
                                      ids_of=ids_of, honoured=honoured)


async def test_off_by_default_makes_no_request(upstream):
    counterfactual = Counterfactual()
    assert counterfactual.settings.enabled is False
    assert (await check(counterfactual, upstream, honoured=True)).status == "off"
    assert upstream.requests == []


async def test_when_on_it_sends_no_cookie_or_token_and_keeps_none(upstream):
    clock = Clock()
    counterfactual = Counterfactual(Settings(enabled=True, min_interval_s=60), clock=clock)
    assert (await check(counterfactual, upstream, honoured=True)).status == "baseline"
    clock.now += 61
    second = await check(counterfactual, upstream)  # the upstream's Set-Cookie must not come back
    assert second.status == "honoured" and len(upstream.requests) == 2
    assert upstream.leaks == []
    first = upstream.requests[0]
    assert first["headers"]["User-Agent"] == "Mozilla/5.0 test"
    assert first["query"] == {"count": "10", "device_platform": "webapp"}


async def test_the_rate_limit_holds_per_platform(upstream):
    clock = Clock()
    counterfactual = Counterfactual(Settings(enabled=True, min_interval_s=600), clock=clock)
    results = [(await check(counterfactual, upstream)).status for _ in range(5)]
    assert results[1:] == ["rate_limited"] * 4 and len(upstream.requests) == 1
    clock.now += 599
    assert (await check(counterfactual, upstream)).status == "rate_limited"
    clock.now += 1
    await check(counterfactual, upstream)
    assert len(upstream.requests) == 2


async def test_a_drop_below_the_baseline_is_recorded_as_suspected_only(upstream, tmp_path):
    install()
    store = Store(tmp_path / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    try:
        clock = Clock()
        counterfactual = Counterfactual(Settings(enabled=True, min_interval_s=60), Watchdog(store), clock)
        baseline = await check(counterfactual, upstream, honoured=True)
        assert (baseline.status, baseline.overlap) == ("baseline", 0.8)
        clock.now += 60
        assert (await check(counterfactual, upstream)).status == "honoured"
        upstream.items = [f"p{i}" for i in range(10)]  # the user's feed is now unlike the anonymous one
        clock.now += 60
        suspected = await check(counterfactual, upstream)
        assert (suspected.status, suspected.overlap, suspected.baseline) == ("suspected", 0.0, 0.8)
        # after a restart the baseline comes back from the store: the next drop is judged
        later = Counterfactual(Settings(enabled=True, min_interval_s=60), Watchdog(store), clock)
        clock.now += 60
        again = await check(later, upstream)
        assert (again.status, again.baseline) == ("suspected", 0.8)
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "feedlens.sqlite3") as db:
        reverts = db.execute("SELECT sure, reason FROM choice_reverts").fetchall()
        stored = db.execute("SELECT group_concat(evidence) FROM choice_observations").fetchone()[0]
    assert reverts == [("suspected", "counterfactual")] and upstream.leaks == []
    assert '"overlap": 0.0' in stored and not any(secret in stored for secret in SECRETS)
