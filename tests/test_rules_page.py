"""/rules: choose the profile, list/remove My rules, check and add a new one (page and JSON)."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest

from feedlens import myrules
from feedlens.minors.pin import ParentPin
from feedlens.service import ServiceConfig, init_app
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, demo_item, log_in, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

RULE = "id: hide-bob\nwhen: {author: bob}\naction: hide\n"
BAD_RULE = "id: hide-bob\nwhen: {author: bob}\naction: explode\n"
LOCKED = "title: Kid\nversion: 1\nlocked: true\nrules: []\n"


@pytest.fixture
async def client(aiohttp_client, runtime):
    cli = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    return cli


async def enter(client, token, lang="en"):
    response = await log_in(client, token, lang)
    assert response.status == 303


def csrf_of(html: str, action: str) -> str:
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    return re.search(r'name="csrf" value="([0-9a-f]+)"', form.group(1)).group(1)


async def post_form(client, action: str, fields: dict):
    return await client.post(action, data=fields, allow_redirects=False,
                             headers={"Origin": f"http://127.0.0.1:{client.port}"})


def seen(runtime, *authors: str) -> None:
    items = [demo_item(i, f"i{i}", author=a) for i, a in enumerate(authors)]
    runtime.recent.add(time.time(), "https://api.demo.test/feed/home", items)


async def test_page_lists_profiles_and_my_rules_in_both_languages(client, token, runtime):
    assert (await client.get("/rules")).status == 401
    await enter(client, token)
    text = await (await client.get("/rules?lang=en")).text()
    assert "No ads" in text and "hides promoted items" in text and 'href="/rules"' not in text
    assert "No rules yet." in text and str(myrules.layer_path()) in text
    zh = await (await client.get("/rules?lang=zh")).text()
    assert "我的规则" in zh and "还没有规则" in zh


async def test_check_shows_file_line_errors_and_a_preview(client, token, runtime):
    await enter(client, token)
    text = await (await client.get(f"/rules?lang=en&draft={quote(BAD_RULE)}")).text()
    assert re.search(r"new rule:3: .*explode", text), text
    assert 'action="/rules/add"' not in text  # nothing to add until it is valid
    seen(runtime, "bob", "alice", "bob", "carol")
    text = await (await client.get(f"/rules?lang=en&draft={quote(RULE)}")).text()
    assert "The rule is valid." in text
    assert "It matches 2 of your last 4 items; with it, 2 of them would be hidden (now 0)." in text


async def test_add_and_remove_through_the_forms(client, token, runtime, rules_dir, user_rules):
    await enter(client, token)
    before = {p.name: p.read_text() for p in (rules_dir / "profiles").glob("*.yaml")}
    text = await (await client.get(f"/rules?lang=en&draft={quote(RULE)}")).text()
    response = await post_form(client, "/rules/add", {"csrf": csrf_of(text, "/rules/add"),
                                                      "rule": RULE, "lang": "en"})
    assert response.status == 303 and "notice=added" in response.headers["Location"]
    assert runtime.engine.profile.rules[0].id == "hide-bob"
    assert "hide-bob" in (user_rules / "my-rules.yaml").read_text()
    text = await (await client.get("/rules?lang=en")).text()
    assert "<code>hide-bob</code>" in text
    response = await post_form(client, "/rules/remove", {"csrf": csrf_of(text, "/rules/remove"),
                                                         "id": "hide-bob", "lang": "en"})
    assert "notice=removed" in response.headers["Location"]
    assert runtime.engine.profile.rules == []
    assert {p.name: p.read_text() for p in (rules_dir / "profiles").glob("*.yaml")} == before


async def test_choose_profile_through_the_form(client, token, runtime):
    await enter(client, token)
    text = await (await client.get("/rules?lang=en")).text()
    response = await post_form(client, "/rules/active", {"csrf": csrf_of(text, "/rules/active"),
                                                         "profile": "strict", "lang": "en"})
    assert "notice=done" in response.headers["Location"] and runtime.profile_name == "strict"
    refused = await post_form(client, "/rules/active", {"profile": "default", "lang": "en"})
    assert refused.status == 403 and runtime.profile_name == "strict"  # no csrf field


async def test_json_check_add_list_remove(client, auth, runtime):
    seen(runtime, "bob")
    data = await (await client.post("/api/my-rules/check", json={"rule": BAD_RULE}, headers=auth)).json()
    assert data["valid"] is False and data["errors"][0].startswith("new rule:3: ")
    data = await (await client.post("/api/my-rules/check", json={"rule": RULE}, headers=auth)).json()
    assert data["valid"] and data["preview"]["matched"] == 1 and data["preview"]["hidden"] == 1
    bad = await client.post("/api/my-rules", json={"rule": BAD_RULE}, headers=auth)
    assert bad.status == 400 and not myrules.layer_path().exists()
    assert (await client.post("/api/my-rules", json={"rule": RULE}, headers=auth)).status == 201
    again = await client.post("/api/my-rules", json={"rule": RULE}, headers=auth)
    assert again.status == 400 and "duplicate rule id" in str(await again.json())
    switch = await client.post("/api/my-rules", json={"rule": RULE.replace("hide-bob", "switch:x")}, headers=auth)
    assert switch.status == 400
    listed = await (await client.get("/api/my-rules", headers=auth)).json()
    assert [r["id"] for r in listed["rules"]] == ["hide-bob"] and listed["applied"]
    assert (await client.post("/api/my-rules/remove", json={"id": "hide-bob"}, headers=auth)).status == 200
    assert runtime.engine.profile.rules == []


async def test_a_locked_active_profile_needs_the_pin_for_my_rules(client, auth, runtime, rules_dir):
    (rules_dir / "profiles" / "kid.yaml").write_text(LOCKED)
    runtime.set_profile("kid")
    await ParentPin(runtime.store).set_pin("8642")
    refused = await client.post("/api/my-rules", json={"rule": RULE}, headers=auth)
    assert refused.status == 403 and not myrules.layer_path().exists()
    ok = await client.post("/api/my-rules", json={"rule": RULE},
                           headers={**auth, "X-Feedlens-Pin": "8642"})
    assert ok.status == 201
    assert [r.id for r in runtime.engine.profile.rules] == []  # never applied to a locked profile


async def test_profile_titles_and_descriptions_follow_the_page_language(client, auth, rules_dir):
    (rules_dir / "profiles" / "bilingual.yaml").write_text(
        "title: {en: Calm feed, zh-CN: 安静的信息流}\nversion: 1\n"
        "description: {en: Fewer ads., zh-CN: 少一些广告。}\nrules: []\n", encoding="utf-8")
    zh = await (await client.get("/rules?lang=zh", headers=auth)).text()
    en = await (await client.get("/rules?lang=en", headers=auth)).text()
    assert "安静的信息流" in zh and "少一些广告。" in zh and "Calm feed" not in zh
    assert "Calm feed" in en and "Fewer ads." in en and "安静的信息流" not in en
