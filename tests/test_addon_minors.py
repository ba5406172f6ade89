"""Parents and minors through the add-on's hooks (mitmproxy's tflow/taddons, no network)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow

from feedlens.minors.clock import ManualClock
from feedlens.minors.state import MAX_PENDING
from feedlens.run import load_addon

from . import addon_support as chain

from .test_addon import DEMO, DEMO_URL, free_port, ids
from .test_runtime import rules  # noqa: F401  (fixture)

BERLIN = ZoneInfo("Europe/Berlin")
EVENING = datetime(2026, 1, 15, 19, 0, tzinfo=BERLIN).timestamp()
NIGHT = datetime(2026, 1, 15, 23, 0, tzinfo=BERLIN).timestamp()
PAGE_URL = "https://www.demo.test/"
KID = """title: Kid
version: 1
mark: {title_prefix: "off"}
rules:
  - id: no-personalized
    when: {provenance: personalized}
    action: hide
limits:
  daily_minutes: 60
  curfew: {from: "22:00", to: "06:00"}
  rest_reminder_minutes: 30
  session_items: {followed: 1}
"""


@pytest.fixture
async def proxy(rules, tmp_path):  # noqa: F811
    (rules / "profiles" / "kid.yaml").write_text(KID)
    addon = load_addon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_profile="no-ads", feedlens_service_port=free_port())
        await chain.running(addon)
        clock = ManualClock(BERLIN, EVENING)
        addon.runtime.minors.use_clock(clock)
        addon.clock = clock
        await addon.runtime.minors.set_device("user:kid", "kid")
        try:
            yield addon
        finally:
            await chain.done(addon)
    loop = tctx.master.event_loop
    if not loop.is_running():
        loop.close()


def flow(user: str | None, url: str = DEMO_URL, body: bytes = DEMO, method: str = "GET",
         content_type: str = "application/json", form: bytes = b"", **headers) -> http.HTTPFlow:
    """A flow of this proxy user; `body` is the upstream response, `form` the request body."""
    if form:
        headers["content-type"] = "application/x-www-form-urlencoded"
    request = http.Request.make(method, url, form, headers=headers)
    f = tflow.tflow(req=request, resp=http.Response.make(200, body, {"content-type": content_type}))
    if user:
        f.metadata["proxyauth"] = (user, "x")
    return f


async def through(addon, f: http.HTTPFlow) -> http.HTTPFlow:
    """The hooks in mitmproxy's order; a response set by `request` means upstream is skipped."""
    upstream = f.response
    f.response = None
    await chain.request_side(addon, f)
    if f.response is None:
        f.response = upstream
        f.metadata["upstream"] = True
    await chain.response_side(addon, f)
    return f


async def test_each_device_runs_its_own_profile(proxy):
    kid = await through(proxy, flow("kid"))
    mum = await through(proxy, flow("mum"))
    assert ids(kid.response.content) == ["v1", "v2", "v4", None]  # personalized hidden, then followed quota
    assert ids(mum.response.content) == ["v1", "v3", "v4", "v5", None]  # the active no-ads profile
    await proxy.runtime.store.flush()
    rows = await proxy.runtime.store.run_read(lambda conn: conn.execute(
        "SELECT device FROM responses ORDER BY id").fetchall())
    assert [r[0] for r in rows] == ["user:kid", "user:mum"]


async def test_session_items_hide_beyond_n_across_responses(proxy):
    first = await through(proxy, flow("kid"))
    proxy.clock.advance(60)
    second = await through(proxy, flow("kid"))
    assert "v1" in ids(first.response.content) and "v5" not in ids(first.response.content)
    assert "v1" not in ids(second.response.content)  # the session's one followed item was shown
    assert proxy.runtime.minors.counters["session_hidden"] == 3
    usage = await proxy.runtime.minors.usage("user:kid", proxy.clock.now())
    assert usage["session_items"]["followed"] == 1 and usage["today_minutes"] == 1


async def test_curfew_empties_feeds_and_blocks_pages_for_the_child_only(proxy):
    proxy.clock.set(NIGHT)
    api = await through(proxy, flow("kid"))
    body = json.loads(api.response.content)
    assert body["code"] == 0 and ids(api.response.content) == [None]  # the cursor stays
    assert api.metadata["feedlens"]["hidden"] == 5
    page = await through(proxy, flow("kid", PAGE_URL, b"<html>feed</html>", content_type="text/html",
                                     **{"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}))
    assert "upstream" not in page.metadata and "feedlens" not in page.metadata
    html = page.response.content.decode()
    assert 'lang="zh-CN"' in html and "夜间" in html and "06:00" in html
    assert 'action="/__feedlens/ask-time"' in html and "<script" not in html
    assert "default-src 'none'" in page.response.headers["content-security-policy"]
    mum = await through(proxy, flow("mum", PAGE_URL, b"<html>feed</html>", content_type="text/html"))
    assert mum.metadata["upstream"] and mum.response.content == b"<html>feed</html>"
    assert ids((await through(proxy, flow("mum"))).response.content) == ["v1", "v3", "v4", "v5", None]
    health = proxy.runtime.health()["minors"]
    assert health["counters"]["blocked_feeds"] == 1 and health["counters"]["block_pages"] == 1
    assert health["blocked"] == {"user:kid": "curfew"}


async def test_a_spent_budget_blocks_with_an_english_page(proxy):
    for _ in range(13):  # 12 gaps of 5 minutes: 60 minutes
        await through(proxy, flow("kid"))
        proxy.clock.advance(5 * 60)
    proxy.clock.advance(-5 * 60)
    page = await through(proxy, flow("kid", PAGE_URL, b"<html></html>", content_type="text/html",
                                     **{"accept-language": "en-GB,en;q=0.9"}))
    html = page.response.content.decode()
    assert "used up (60 minutes)" in html
    assert "again at 06:00" in html  # midnight falls in the curfew: the next free time is its end
    usage = await proxy.runtime.minors.usage("user:kid", proxy.clock.now())
    assert usage["today_minutes"] == 60 and usage["remaining_minutes"] == 0


async def test_ask_time_is_answered_by_the_proxy_and_queued_for_the_parent(proxy):
    proxy.clock.set(NIGHT)
    form = b"minutes=15&note=school+project"
    f = await through(proxy, flow("kid", "https://www.demo.test/__feedlens/ask-time", method="POST",
                                  form=form))
    assert "upstream" not in f.metadata and f.response.status_code == 200
    assert "15" in f.response.content.decode() and "parent" in f.response.content.decode()
    [pending] = await proxy.runtime.minors.time_requests()
    assert pending["device"] == "user:kid" and pending["minutes"] == 15
    assert pending["note"] == "school project"
    get = await through(proxy, flow("kid", "https://api.demo.test/__feedlens/ask-time"))
    assert get.response.status_code == 405 and "upstream" not in get.metadata
    for _ in range(MAX_PENDING + 2):
        await through(proxy, flow("kid", "https://x.test/__feedlens/ask-time", method="POST", form=form))
    assert len(await proxy.runtime.minors.time_requests()) == MAX_PENDING


async def test_an_approved_request_lifts_the_block(proxy):
    proxy.clock.set(NIGHT)
    asked = await proxy.runtime.minors.add_time_request("user:kid", 30, None)
    await proxy.runtime.minors.decide_time_request(asked["id"], True)
    page = await through(proxy, flow("kid", PAGE_URL, b"<html>feed</html>", content_type="text/html"))
    assert page.metadata["upstream"]


async def test_the_rest_reminder_interrupts_one_page(proxy):
    for _ in range(7):  # 30 minutes of continuous use
        await through(proxy, flow("kid"))
        proxy.clock.advance(5 * 60)
    proxy.clock.advance(-5 * 60)
    assert proxy.runtime.health()["minors"]["rest_due"] == ["user:kid"]
    page = dict(url=PAGE_URL + "?x=1", body=b"<html>feed</html>", content_type="text/html")
    rest = await through(proxy, flow("kid", **page))
    assert "Time for a break" in rest.response.content.decode()
    assert 'href="/?x=1"' in rest.response.content.decode()
    again = await through(proxy, flow("kid", **page))
    assert again.metadata["upstream"]
    assert proxy.runtime.minors.counters["rest_pages"] == 1
    assert proxy.runtime.health()["minors"]["rest_due"] == []


async def test_ask_time_answers_even_when_the_store_fails(proxy, monkeypatch):
    async def broken(fn):
        raise OSError("disk gone")
    monkeypatch.setattr(proxy.runtime.store, "run_write", broken)
    f = await through(proxy, flow("kid", "https://www.demo.test/__feedlens/ask-time", method="POST",
                                  form=b"minutes=15"))
    assert f.response.status_code == 503 and "upstream" not in f.metadata
    assert proxy.runtime.minors.counters["errors"] == 1


async def test_an_error_in_the_minors_path_fails_open_and_is_counted(proxy, monkeypatch):
    proxy.clock.set(NIGHT)

    def broken(*args):
        raise RuntimeError("boom")
    monkeypatch.setattr(proxy.runtime.minors, "status", broken)
    page = await through(proxy, flow("kid", PAGE_URL, b"<html>feed</html>", content_type="text/html"))
    api = await through(proxy, flow("kid"))
    assert page.metadata["upstream"] and page.response.content == b"<html>feed</html>"
    assert ids(api.response.content) == ["v1", "v3", "v4", "v5", None]  # the active profile, unlimited
    # the page's request and response hooks, the feed's response hook
    assert proxy.runtime.minors.counters["errors"] == 3
    health = proxy.runtime.health()["minors"]  # health still answers; its own status call counts
    assert health["counters"]["errors"] == 4 and "boom" in health["last_error"]["error"]


async def test_unknown_devices_use_the_active_profile_and_are_listed(proxy):
    f = flow(None)
    await through(proxy, f)
    assert ids(f.response.content) == ["v1", "v3", "v4", "v5", None]
    names = [d["name"] for d in await proxy.runtime.minors.devices()]
    assert names == ["addr:" + f.client_conn.peername[0], "user:kid"]
