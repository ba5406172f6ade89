"""What the user chose, on the service (issue 22): the "Your choices" page's per-platform form
(dashboard cookie, CSRF field, own Origin, like every dashboard form) and POST
/api/choices/declare (token). A declaration starts a new epoch on the stored tracks at once;
declared on, the page says the platform is not watched; a platform whose rules need the user's
word says "not declared"; a login link can lead to /choices (the revert notification's click).
Real service, real store, real watchdog."""

from __future__ import annotations

import time

from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog
from feedlens import paths

from .service_support import ADAPTER, client, rules_dir, runtime, token  # noqa: F401 (fixtures)
from .test_rules_page import csrf_of, enter, post_form

CHOICE = "personalised_recommendation"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def reading(state: str, declare: str = "optional") -> Observation:
    return Observation("demo", CHOICE, "feed-flag", "flag", "confirmed", state,
                       {"read": "query.disable_rcmd", "method": "GET", "host": "api.demo.test"}, declare)


async def tracks(client, token) -> list[dict]:
    return (await (await client.get("/api/choices?platform=demo", headers=auth(token))).json())["choices"]


async def test_the_form_declares_on_and_the_watchdog_stops_watching(client, token, runtime):
    watchdog = Watchdog(runtime.store)
    now = time.time()
    await watchdog.observe(reading("not_personalised"), "10.0.0.2", now - 30)
    await watchdog.observe(reading("personalised"), "10.0.0.2", now - 20)
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    assert 'id="declare-demo"' in html and 'data-declare="optional"' in html
    refused = await post_form(client, "/choices/declare", {"csrf": "0" * 64, "platform": "demo", "state": "on"})
    assert refused.status == 403
    wrong_form = await post_form(client, "/choices/declare", {"csrf": csrf_of(html, "/choices/hide"),
                                                              "platform": "demo", "state": "on"})
    assert wrong_form.status == 403  # a CSRF value is bound to its form's action
    foreign = await client.post("/choices/declare", allow_redirects=False, headers={"Origin": "https://evil.example"},
                                data={"csrf": csrf_of(html, "/choices/declare"), "platform": "demo", "state": "on"})
    assert foreign.status == 403
    [track] = await tracks(client, token)
    assert track["declared"] is None and track["epoch"] == 0

    done = await post_form(client, "/choices/declare", {"csrf": csrf_of(html, "/choices/declare"),
                                                        "platform": "demo", "state": "on", "lang": "en"})
    assert done.status == 303 and "notice=declared_on" in done.headers["Location"]
    [track] = await tracks(client, token)
    assert (track["declared"], track["status"], track["epoch"]) == ("personalised", "declared_on", 1)
    assert await watchdog.observe(reading("personalised"), "10.0.0.2", now - 10) is None  # would be two in a row
    assert await watchdog.observe(reading("personalised"), "10.0.0.2", now) is None
    page = await (await client.get("/choices?lang=en")).text()
    assert "not watched: you said you want personalised recommendations" in page
    zh = await (await client.get("/choices?lang=zh")).text()
    assert "不监视：你说过希望有个性化推荐" in zh and "你的选择是什么" in zh

    withdraw = await post_form(client, "/choices/declare", {"csrf": csrf_of(page, "/choices/declare"),
                                                            "platform": "demo", "state": "withdraw"})
    assert withdraw.status == 303 and "notice=withdrawn" in withdraw.headers["Location"]
    [track] = await tracks(client, token)
    assert (track["declared"], track["epoch"]) == (None, 2)


async def test_the_form_refuses_an_unknown_platform_or_state(client, token, runtime):
    await enter(client, token)
    html = await (await client.get("/choices")).text()
    for fields in ({"platform": "nowhere", "state": "off"}, {"platform": "demo", "state": "maybe"},
                   {"platform": "demo", "state": "off", "device": "a b"}):
        bad = await post_form(client, "/choices/declare", {"csrf": csrf_of(html, "/choices/declare"), **fields})
        assert bad.status == 400
    assert await tracks(client, token) == []


async def test_api_declares_for_one_device_and_a_never_observed_platform_shows(client, token):
    body = {"platform": "demo", "state": "not_personalised", "device": "10.0.0.9"}
    assert (await client.post("/api/choices/declare", json=body)).status == 401
    answer = await client.post("/api/choices/declare", json=body, headers=auth(token))
    assert answer.status == 200
    data = await answer.json()
    assert data["changed"] is True and [(d["device"], d["state"]) for d in data["declarations"]] == [
        ("10.0.0.9", "not_personalised")]
    [track] = await tracks(client, token)
    assert (track["device"], track["declared"], track["observed"], track["status"]) == (
        "10.0.0.9", "not_personalised", "unknown", "unknown")
    for bad in ({"platform": "nowhere", "state": "personalised"}, {"platform": "demo"},
                {"platform": "demo", "state": "personalised", "withdraw": True},
                {"platform": "demo", "state": "off"}):
        refused = await client.post("/api/choices/declare", json=bad, headers=auth(token))
        assert refused.status == 400, bad
    unknown = await client.post("/api/choices/declare", json={"platform": "nowhere", "state": "personalised"},
                                headers=auth(token))
    assert "platforms with one: demo" in (await unknown.json())["error"]
    gone = await client.post("/api/choices/declare", json={"platform": "demo", "withdraw": True, "device": "10.0.0.9"},
                             headers=auth(token))
    assert (await gone.json())["changed"] is True and await tracks(client, token) == []


async def test_a_platform_that_needs_the_users_word(client, token, runtime):
    (paths.platforms_dir(runtime.config.rules_dir) / "demo.yaml").write_text(
        ADAPTER.replace("choice:\n", "choice:\n  declare: required\n"), encoding="utf-8")
    runtime.reload()
    empty = await (await client.get("/api/choices?host=app.demo.test", headers=auth(token))).json()
    assert (empty["declare"], empty["choices"]) == ("required", [])  # the popup says "not declared"
    watchdog = Watchdog(runtime.store)
    for n, state in enumerate(("not_personalised", "personalised", "personalised")):
        assert await watchdog.observe(reading(state, "required"), "10.0.0.2", time.time() + n) is None
    [track] = await tracks(client, token)
    assert (track["status"], track["declare"], track["armed"]) == ("not_declared", "required", False)
    await enter(client, token)
    html = await (await client.get("/choices?lang=en")).text()
    assert 'data-declare="required"' in html and "not declared: say what you chose" in html


async def test_a_login_link_can_lead_to_the_choices_page(client, token):
    for target, expected in (("/choices", "/choices?lang=en"), ("//evil.example", "/?lang=en"),
                             ("https://evil.example/", "/?lang=en")):
        link = await client.post("/api/login-link", headers=auth(token))
        code = (await link.json())["code"]
        response = await client.get("/", params={"code": code, "lang": "en", "next": target}, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == expected
