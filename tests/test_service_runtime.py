"""The real Runtime in the service: health, hot reload and the item log through the API."""

from __future__ import annotations

import time

import pytest

from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app
from feedlens.store import ResponseRecord
from tests.service_support import INVALID_PROFILE, STRICT_PROFILE, demo_item, write_rules

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
async def real(aiohttp_client, tmp_path):
    rules = write_rules(tmp_path / "rules")
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, retention_days=30))
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    token = (tmp_path / "data" / "token").read_text().strip()
    return client, runtime, {"Authorization": f"Bearer {token}"}, rules


async def test_health_of_the_real_runtime(real):
    client, runtime, auth, _ = real
    data = await (await client.get("/api/health", headers=auth)).json()
    assert data["ok"] is True
    assert [a["platform"] for a in data["adapters"]] == ["demo"]
    assert data["store"]["schema_version"] >= 1
    assert set(await (await client.get("/api/health")).json()) == {"ok", "version"}


async def test_records_from_the_real_runtime_store_reach_marks_and_stats(real):
    client, runtime, auth, _ = real
    runtime.store.submit(ResponseRecord(time=time.time(), platform="demo", endpoint="home",
                                        surface="home", url="https://api.demo.test/feed/home",
                                        status=200, changed=True, error=None,
                                        items=[demo_item(0, "a", "promoted")]))
    await runtime.store.flush()
    marks = await (await client.get("/api/marks?platform=demo&ids=a", headers=auth)).json()
    assert marks["marks"]["a"]["provenance"] == "promoted"
    stats = await (await client.get("/api/stats", headers=auth)).json()
    assert stats["by_provenance"] == {"promoted": 1}


async def test_switch_and_update_profiles_on_the_real_runtime(real):
    client, runtime, auth, rules = real
    response = await client.post("/api/profiles/active", json={"name": "strict"}, headers=auth)
    assert response.status == 200, await response.text()
    assert runtime.profile_name == "strict" and runtime.engine.profile.title == "No ads"
    listed = await (await client.get("/api/profiles", headers=auth)).json()
    assert listed["active"] == "strict"

    updated = STRICT_PROFILE.replace("title: No ads", "title: Still no ads")
    response = await client.put("/api/profiles/strict", json={"yaml": updated}, headers=auth)
    assert response.status == 200 and (await response.json())["reloaded"] is True
    assert runtime.engine.profile.title == "Still no ads"


async def test_an_invalid_profile_switch_keeps_the_real_runtime_profile(real):
    client, runtime, auth, rules = real
    (rules / "profiles" / "broken.yaml").write_text(INVALID_PROFILE)
    response = await client.post("/api/profiles/active", json={"name": "broken"}, headers=auth)
    assert response.status == 400
    assert any("broken.yaml:" in m for m in (await response.json())["messages"])
    assert runtime.profile_name == "default"


async def test_the_dashboard_renders_the_real_runtime(real):
    client, _, auth, _ = real
    response = await client.get("/", headers=auth)
    text = await response.text()
    assert response.status == 200
    assert "Responses seen" in text and "Clients trust the CA" in text and "not known yet" in text
    dom = await (await client.get("/api/rules/dom", headers=auth)).json()
    assert dom["platforms"]["demo"]["endpoints"][0]["dom"]["item"] == ".card"
