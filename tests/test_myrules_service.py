"""Acceptance: per-item actions and quick switches both edit My rules, so neither undoes the
other, through the service's real routes on feedlens's real Runtime and engine; nothing is
written under the rules directory or the installed package."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.engine import Request
from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app

DATA = Path(__file__).parent / "data"
HOME = Request("GET", "https://api.demo.test/feed/home")
# demo_home.json: v1, v5 Alice (followed), v2 Shop (ad), v3 Bob (personalised), v4 Carol (popular)


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    root = tmp_path / "rules"
    (root / "platforms").mkdir(parents=True)
    shutil.copy(DATA / "demo.yaml", root / "platforms" / "demo.yaml")
    shutil.copytree(paths.bundled_rules_dir() / "profiles", root / "profiles")
    return root


@pytest.fixture
async def client(aiohttp_client, rules_dir, tmp_path):
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules_dir, profile="no-ads"))
    cli = await aiohttp_client(init_app(ServiceConfig(runtime=runtime, manage_runtime=True)))
    token = (tmp_path / "data" / "token").read_text().strip()
    cli.runtime, cli.headers = runtime, {"Authorization": f"Bearer {token}"}
    return cli


def shown(runtime) -> list[str]:
    """The ids the real engine in force leaves in the demo home feed."""
    body = (DATA / "demo_home.json").read_bytes()
    outcome = runtime.engine.process(HOME, body, "application/json")
    items = json.loads(outcome.body if outcome.changed else body)["data"]["list"]
    return [i["id"] for i in items if i.get("type") == "video"]


async def post(client, path: str, body: dict) -> dict:
    response = await client.post(path, json=body, headers=client.headers)
    assert response.status in (200, 201), await response.text()
    return await response.json()


async def test_hide_author_then_hide_personalised_keeps_the_author_hidden(client, rules_dir, user_rules):
    bundled_before, rules_before = tree_digest(paths.bundled_rules_dir()), tree_digest(rules_dir)
    assert shown(client.runtime) == ["v1", "v3", "v4", "v5"]  # no-ads hides the ad only
    await post(client, "/api/extension/rules",
               {"kind": "hide_author", "platform": "demo", "author_id": "11", "author": "Alice"})
    assert shown(client.runtime) == ["v3", "v4"]
    state = await post(client, "/api/extension/switch", {"name": "hide_personalized", "on": True})
    assert state["switches"]["hide_personalized"]["on"] and state["active"] == "no-ads"
    assert shown(client.runtime) == ["v4"]  # Alice stays hidden, Bob (personalised) goes too
    await post(client, "/api/profiles/active", {"name": "no-personalized"})  # choose a profile
    assert shown(client.runtime) == ["v4"]
    await post(client, "/api/extension/switch", {"name": "hide_personalized", "on": False})
    assert shown(client.runtime) == ["v4"]  # the profile hides personalised now; Alice still hidden
    assert tree_digest(paths.bundled_rules_dir()) == bundled_before
    assert tree_digest(rules_dir) == rules_before
    layer = (user_rules / "my-rules.yaml").read_text()
    assert "Alice" in layer and "switch:hide-personalized" not in layer


async def test_always_show_beats_a_later_quick_switch(client, user_rules):
    await post(client, "/api/extension/switch", {"name": "hide_personalized", "on": True})
    assert "v3" not in shown(client.runtime)
    await post(client, "/api/extension/rules",
               {"kind": "show_author", "platform": "demo", "author_id": "13", "author": "Bob"})
    assert "v3" in shown(client.runtime)
    await post(client, "/api/extension/switch", {"name": "hide_personalized", "on": False})
    await post(client, "/api/extension/switch", {"name": "hide_personalized", "on": True})
    assert "v3" in shown(client.runtime)  # switches go after the per-item rules


async def test_chronological_switch_and_pause(client):
    await post(client, "/api/extension/switch", {"name": "chronological", "on": True})
    assert shown(client.runtime) == ["v5", "v1"]  # followed only, newest first
    state = await post(client, "/api/extension/pause", {"minutes": 10})
    assert state["paused_until"] and shown(client.runtime) == ["v1", "v2", "v3", "v4", "v5"]
    await post(client, "/api/extension/pause", {"minutes": 0})
    assert shown(client.runtime) == ["v5", "v1"]
