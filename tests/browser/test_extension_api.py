"""The service routes the extension uses: pairing, per-item rules and undo, switches, pause."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from feedlens import pairing, paths
from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app
from feedlens.service.extension_api import insert_rule, page_rule, remove_rule

PROFILE = """\
# my test profile: comments must survive edits
title: Test
version: 1
rules:
  # ads first
  - id: hide-ads
    when: {provenance: promoted}
    action: hide
  - id: blur-gacha
    when: {keywords: [抽卡], platform: bilibili}
    unless: {author: "42"}
    action: blur
mark: {title_prefix: "off"}
"""


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    (rules / "profiles" / "test.yaml").write_text(PROFILE)
    return rules


@pytest.fixture
async def client(aiohttp_client, rules_dir, tmp_path, monkeypatch):
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules_dir, profile="test"))
    app = init_app(ServiceConfig(runtime=runtime, manage_runtime=True))
    cli = await aiohttp_client(app)
    token = (tmp_path / "data" / "token").read_text().strip()
    cli.runtime, cli.headers = runtime, {"Authorization": f"Bearer {token}"}
    cli.token, cli.data_dir = token, tmp_path / "data"
    return cli


def test_insert_and_remove_keep_comments():
    rule = {"id": "ext-hide-author-20260101-abcdef", "action": "hide",
            "when": {"platform": "x", "author": ["1", "bob"]}}
    text = insert_rule(PROFILE, rule)
    assert "# ads first" in text and "# my test profile" in text
    assert text.index("ext-hide-author") < text.index("hide-ads")
    assert remove_rule(text, rule["id"]) == PROFILE
    assert remove_rule(PROFILE, rule["id"]) is None
    empty = "title: t\nversion: 1\nrules: []\n"
    assert remove_rule(insert_rule(empty, rule), rule["id"]) == "title: t\nversion: 1\nrules:\n"


def test_page_rules_only_for_visible_conditions():
    assert page_rule({"id": "a", "action": "hide", "when": {"provenance": "promoted"}}) is None
    assert page_rule({"id": "b", "action": "limit", "when": {"keywords": "x"}}) is None
    assert page_rule({"id": "c", "action": "hide"}) is None
    assert page_rule({"id": "d", "action": "blur", "when": {"keywords": ["抽卡"], "platform": "bilibili"},
                      "unless": {"author": 42}}) == {
        "id": "d", "action": "blur", "text": None,
        "when": {"keywords": ["抽卡"], "platform": ["bilibili"]}, "unless": {"author": ["42"]}}


async def test_pairing_gives_the_token_once(client):
    assert (await client.post("/api/pair", json={"code": "AAAA-AAAA"})).status == 403
    code, _ = pairing.new_code(client.data_dir)
    wrong = await client.post("/api/pair", json={"code": "WRONG-1"})
    assert wrong.status == 403 and "wrong" in (await wrong.json())["error"]
    ok = await client.post("/api/pair", json={"code": code.lower()})
    assert ok.status == 200 and (await ok.json())["token"] == client.token
    assert (await client.post("/api/pair", json={"code": code})).status == 403


def test_pairing_code_expires_and_locks_out(tmp_path):
    code, expires = pairing.new_code(tmp_path, now=1000.0)
    with pytest.raises(pairing.PairingError, match="expired"):
        pairing.redeem(tmp_path, code, now=expires + 1)
    code, _ = pairing.new_code(tmp_path)
    for _ in range(pairing.MAX_TRIES):
        with pytest.raises(pairing.PairingError):
            pairing.redeem(tmp_path, "ZZZZZZZZ")
    with pytest.raises(pairing.PairingError, match="no pairing code"):
        pairing.redeem(tmp_path, code)


async def test_state_lists_page_rules(client):
    resp = await client.get("/api/extension/state", headers=client.headers)
    data = await resp.json()
    assert resp.status == 200 and data["active"] == "test" and data["locked"] is False
    assert [r["id"] for r in data["page_rules"]] == ["blur-gacha"]
    assert data["switches"]["hide_personalized"] == {"on": False, "available": True}
    assert (await client.get("/api/extension/state")).status == 401


async def test_rule_then_undo(client, rules_dir, user_rules):
    body = {"kind": "hide_author", "platform": "bilibili", "author_id": "123", "author": "老李"}
    resp = await client.post("/api/extension/rules", json=body, headers=client.headers)
    data = await resp.json()
    assert resp.status == 201 and data["profile"] == "my-rules", data
    assert data["rule"]["when"] == {"platform": ["bilibili"], "author": ["123", "老李"]}
    assert (rules_dir / "profiles" / "test.yaml").read_text() == PROFILE  # the profile is untouched
    text = (user_rules / "my-rules.yaml").read_text()
    assert data["id"] in text and "# My rules" in text
    assert client.runtime.engine.profile.rules[0].id == data["id"]  # in force at once
    assert client.runtime.profile_name == "test"
    undo = await client.post("/api/extension/undo", json={"id": data["id"]}, headers=client.headers)
    assert undo.status == 200
    assert data["id"] not in (user_rules / "my-rules.yaml").read_text()
    assert client.runtime.engine.profile.rules[0].id == "hide-ads"
    again = await client.post("/api/extension/undo", json={"id": data["id"]}, headers=client.headers)
    assert again.status == 404


async def test_rule_refusals(client):
    for body in ({"kind": "nope", "platform": "x"}, {"kind": "hide_like", "platform": "x"},
                 {"kind": "hide_author", "platform": "x"}, {"kind": "hide_author", "platform": "X Y", "author": "a"},
                 {"kind": "hide_author", "platform": "x", "author": "a", "when": {}}):
        resp = await client.post("/api/extension/rules", json=body, headers=client.headers)
        assert resp.status == 400, body
    resp = await client.post("/api/extension/undo", json={"id": "hide-ads"}, headers=client.headers)
    assert resp.status == 400


async def test_rules_never_go_into_a_profile(client, rules_dir, user_rules):
    await client.post("/api/profiles/active", json={"name": "default"}, headers=client.headers)
    resp = await client.post("/api/extension/rules", headers=client.headers,
                             json={"kind": "hide_like", "platform": "x", "keyword": "crypto"})
    assert (await resp.json())["profile"] == "my-rules"
    assert client.runtime.profile_name == "default"
    assert "crypto" not in (rules_dir / "profiles" / "default.yaml").read_text()
    assert "crypto" in (user_rules / "my-rules.yaml").read_text()


async def test_switch_and_pause(client):
    h = client.headers
    rule_ids = lambda: [r.id for r in client.runtime.engine.profile.rules]  # noqa: E731
    data = await (await client.post("/api/extension/switch", json={"name": "chronological", "on": True}, headers=h)).json()
    assert data["active"] == "test" and data["switches"]["chronological"]["on"]
    assert rule_ids()[:2] == ["switch:chronological", "switch:chronological:others"]
    data = await (await client.post("/api/extension/switch", json={"name": "chronological", "on": False}, headers=h)).json()
    assert data["active"] == "test" and not data["switches"]["chronological"]["on"]
    assert rule_ids() == ["hide-ads", "blur-gacha"]
    data = await (await client.post("/api/extension/pause", json={"minutes": 15}, headers=h)).json()
    assert data["active"] == "test" and data["target"] == "test" and rule_ids()[0] == "switch:pause"
    assert data["paused_until"] > time.time() + 14 * 60
    assert [r["id"] for r in data["page_rules"]] == ["blur-gacha"]  # the rules pause returns to
    busy = await client.post("/api/extension/switch", json={"name": "chronological", "on": True}, headers=h)
    assert busy.status == 409
    data = await (await client.post("/api/extension/pause", json={"minutes": 0}, headers=h)).json()
    assert data["active"] == "test" and data["paused_until"] is None
    assert rule_ids() == ["hide-ads", "blur-gacha"]


async def test_locked_profile_refuses_changes(client, rules_dir):
    path = rules_dir / "profiles" / "test.yaml"
    path.write_text(PROFILE.replace("version: 1\n", "version: 1\nlocked: true\n"))
    client.runtime.reload()
    data = await (await client.get("/api/extension/state", headers=client.headers)).json()
    assert data["locked"] is True
    for route, body in (("rules", {"kind": "hide_like", "platform": "x", "keyword": "a"}),
                        ("switch", {"name": "chronological", "on": True}), ("pause", {"minutes": 15})):
        resp = await client.post(f"/api/extension/{route}", json=body, headers=client.headers)
        assert resp.status == 403, route


def test_pairing_file_is_private_and_stays_private_after_a_wrong_try(tmp_path):
    pairing.new_code(tmp_path)
    path = tmp_path / pairing.FILE
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(pairing.PairingError):
        pairing.redeem(tmp_path, "ZZZZZZZZ")
    assert path.stat().st_mode & 0o777 == 0o600
