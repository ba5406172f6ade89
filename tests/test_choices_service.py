"""The choice watchdog told to the user: GET /api/choices (token; ?host= for the popup), the
"Your choices" page in both languages with its reverts chart, and the one-click "hide
personalised on this platform until the choice is honoured again", which the watchdog itself
ends when it reads the choice honoured. Real service, real store; tracks are seeded through
the watchdog's own observe()."""

from __future__ import annotations

import time

from feedlens import myrules
from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog

from .service_support import client, rules_dir, runtime, token  # noqa: F401 (fixtures)
from .test_rules_page import csrf_of, enter, post_form

CHOICE = "personalised_recommendation"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reading(state: str, kind: str = "flag") -> Observation:
    sure = "likely" if kind == "marker" else "confirmed"
    return Observation("demo", CHOICE, "feed-flag", kind, sure, state,
                       {"field": "query.disable_rcmd", "value": "0" if state == "personalised" else "1",
                        "method": "GET", "host": "api.demo.test", "path": "/feed/home"})


async def revert(watchdog: Watchdog, device: str = "10.0.0.2") -> float:
    now = time.time()
    await watchdog.observe(reading("not_personalised"), device, now - 30)
    await watchdog.observe(reading("personalised"), device, now - 20)
    assert (await watchdog.observe(reading("personalised"), device, now - 10)).sure == "confirmed"
    return now


async def test_api_lists_tracks_with_reverts_and_evidence(client, token, runtime):
    assert (await client.get("/api/choices")).status == 401
    await revert(Watchdog(runtime.store))
    response = await client.get("/api/choices", headers=auth(token))
    assert response.status == 200
    [track] = (await response.json())["choices"]
    assert (track["platform"], track["device"], track["choice"]) == ("demo", "10.0.0.2", CHOICE)
    assert track["status"] == "reverted" and track["observed"] == "personalised"
    assert track["last_verified"] is not None and track["hiding"] is False
    [found] = track["reverts"]
    assert found["sure"] == "confirmed" and found["reason"] == "two_in_a_row"
    assert [e["value"] for e in found["evidence"]] == ["0", "0"]


async def test_api_by_host_picks_the_sites_platform(client, token, runtime):
    watchdog = Watchdog(runtime.store)
    await watchdog.observe(reading("not_personalised"), "10.0.0.3", time.time())
    for host in ("api.demo.test", "www.demo.test"):
        data = await (await client.get(f"/api/choices?host={host}", headers=auth(token))).json()
        assert data["platform"] == "demo" and [t["status"] for t in data["choices"]] == ["honoured"]
    other = await (await client.get("/api/choices?host=example.org", headers=auth(token))).json()
    assert other == {"platform": None, "choices": [], "now": other["now"], "declare": None}


async def test_marker_only_is_suspected(client, token, runtime):
    watchdog = Watchdog(runtime.store)
    await watchdog.observe(reading("not_personalised", "marker"), "d", time.time() - 5)
    assert (await watchdog.observe(reading("personalised", "marker"), "d", time.time())).sure == "suspected"
    data = await (await client.get("/api/choices", headers=auth(token))).json()
    assert [(t["status"], [r["sure"] for r in t["reverts"]]) for t in data["choices"]] == [
        ("suspected", ["suspected"])]


async def test_page_shows_reverts_and_chart_in_both_languages(client, token, runtime):
    assert (await client.get("/choices")).status == 401
    await revert(Watchdog(runtime.store))
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    assert 'data-status="reverted"' in html and "turned back on by the platform" in html
    assert "<svg" in html and 'class="confirmed"' in html and "personalised twice in a row" in html
    assert "query.disable_rcmd=0" in html and '<a href="/choices">' not in html  # current page
    zh = await (await client.get("/choices?lang=zh")).text()
    assert "你的选择" in zh and "已被平台重新打开" in zh
    overview = await (await client.get("/?lang=en")).text()
    assert '<a href="/choices">Your choices</a>' in overview


async def test_hide_until_honoured_then_the_watchdog_ends_it(client, token, runtime):
    watchdog = Watchdog(runtime.store)
    await revert(watchdog)
    await enter(client, token)
    html = await (await client.get("/choices")).text()
    refused = await post_form(client, "/choices/hide", {"csrf": "0" * 64, "platform": "demo"})
    assert refused.status == 403 and not myrules.layer_path().exists()
    done = await post_form(client, "/choices/hide", {"csrf": csrf_of(html, "/choices/hide"),
                                                     "platform": "demo", "lang": "en"})
    assert done.status == 303 and "notice=hiding" in done.headers["Location"]
    rules = {r.id: r for r in runtime.layer.profile.rules}  # reloaded at once
    assert "switch:choice:demo" in rules and rules["switch:choice:demo"].action == "hide"
    data = await (await client.get("/api/choices", headers=auth(token))).json()
    assert data["choices"][0]["hiding"] is True
    assert "Stop hiding now" in await (await client.get("/choices")).text()

    await watchdog.observe(reading("personalised"), "10.0.0.2", time.time())  # still reverted
    assert "switch:choice:demo" in myrules.layer_path().read_text()
    await watchdog.observe(reading("not_personalised"), "10.0.0.2", time.time())  # honoured again
    assert "switch:choice:demo" not in myrules.layer_path().read_text()
    runtime.reload()
    assert runtime.layer.profile is None or not runtime.layer.profile.rules
    data = await (await client.get("/api/choices", headers=auth(token))).json()
    assert data["choices"][0]["hiding"] is False and data["choices"][0]["status"] == "honoured"


async def test_hide_refuses_an_unknown_platform(client, token, runtime):
    await enter(client, token)
    await revert(Watchdog(runtime.store))
    html = await (await client.get("/choices")).text()
    bad = await post_form(client, "/choices/hide", {"csrf": csrf_of(html, "/choices/hide"),
                                                    "platform": "nowhere"})
    assert bad.status == 400 and not myrules.layer_path().exists()
