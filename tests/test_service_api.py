"""The JSON API over a real store: marks, items, stats, rules, and input validation."""

from __future__ import annotations

import io
import json
import time

import pytest

from feedlens.service.config import MAX_BODY
from feedlens.store import StoreError
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, record, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")


async def get(client, auth, path, status=200):
    response = await client.get(path, headers=auth)
    assert response.status == status, await response.text()
    return await response.json()


async def fill(runtime, *records):
    for r in records:
        runtime.store.submit(r)
    await runtime.store.flush()


# ---- marks ---------------------------------------------------------------------------------

async def test_marks_answer_seen_items_and_list_the_missing(client, auth, runtime):
    await fill(runtime, record([demo_item(0, "a", "promoted"), demo_item(1, "b", "followed")]),
               record([demo_item(0, "a", "personalized")]))
    data = await get(client, auth, "/api/marks?platform=demo&ids=a,b,zz,a")
    assert data["platform"] == "demo"
    assert data["marks"]["a"]["provenance"] == "personalized"  # the latest wins
    assert data["marks"]["b"]["provenance"] == "followed"
    assert data["missing"] == ["zz"]


async def test_marks_carry_evidence_and_decision(client, auth, runtime):
    await fill(runtime, record([demo_item(0, "ad1", "promoted", decision="hide",
                                          decision_rule="no-ads", confidence=0.9)]))
    mark = (await get(client, auth, "/api/marks?platform=demo&ids=ad1"))["marks"]["ad1"]
    assert mark["evidence"] == [{"source": "item", "path": "ad", "value": True}]
    assert (mark["decision"], mark["decision_rule"], mark["confidence"]) == ("hide", "no-ads", 0.9)


@pytest.mark.parametrize("query,message", [
    ("", "missing query parameter"),
    ("platform=demo", "missing query parameter 'ids'"),
    ("ids=a", "missing query parameter 'platform'"),
    ("platform=demo&ids=", "at least one id"),
    ("platform=demo&ids=" + ",".join(str(n) for n in range(201)), "at most 200"),
    ("platform=demo&ids=a&ids=b", "more than once"),
    ("platform=demo&ids=a&extra=1", "unknown query parameter"),
    ("platform=demo&ids=" + "x" * 129, "at most 128"),
])
async def test_marks_validate_their_query(client, auth, query, message):
    data = await get(client, auth, f"/api/marks?{query}", status=400)
    assert message in data["error"]


# ---- items ---------------------------------------------------------------------------------

async def test_items_paginate_with_next_before_id(client, auth, runtime):
    await fill(runtime, *[record([demo_item(0, f"i{n}")], at=time.time() - 100 + n) for n in range(5)])
    first = await get(client, auth, "/api/items?limit=2")
    assert [i["item_id"] for i in first["items"]] == ["i4", "i3"]
    second = await get(client, auth, f"/api/items?limit=2&before_id={first['next_before_id']}")
    assert [i["item_id"] for i in second["items"]] == ["i2", "i1"]
    last = await get(client, auth, f"/api/items?limit=2&before_id={second['next_before_id']}")
    assert [i["item_id"] for i in last["items"]] == ["i0"]
    assert last["next_before_id"] is None


async def test_items_filter(client, auth, runtime):
    now = time.time()
    await fill(runtime, record([demo_item(0, "a", "followed"), demo_item(1, "b", "promoted")], at=now - 50),
               record([demo_item(0, "c", "search", platform="x", surface="search")], at=now,
                      platform="x", surface="search"))

    async def ids(query):
        return sorted(i["item_id"] for i in (await get(client, auth, f"/api/items?{query}"))["items"])

    assert await ids("platform=x") == ["c"]
    assert await ids("provenance=promoted") == ["b"]
    assert await ids("surface=search") == ["c"]
    assert await ids(f"since={now - 10}") == ["c"]
    assert await ids(f"until={now - 10}") == ["a", "b"]


@pytest.mark.parametrize("query,message", [
    ("limit=0", "between 1 and 500"), ("limit=501", "between 1 and 500"),
    ("limit=ten", "not a whole number"), ("limit=-1", "not a whole number"),
    ("before_id=1.5", "not a whole number"), ("provenance=evil", "must be one of"),
    ("since=yesterday", "not a number"), ("until=nan", "finite"), ("page=2", "unknown"),
])
async def test_items_validate_their_query(client, auth, query, message):
    assert message in (await get(client, auth, f"/api/items?{query}", status=400))["error"]


# ---- stats ---------------------------------------------------------------------------------

async def test_stats_default_to_today(client, auth, runtime):
    now = time.time()
    await fill(runtime, record([demo_item(0, "a", "followed"), demo_item(1, "b", "promoted")], at=now),
               record([demo_item(0, "old", "popular")], at=now - 3 * 86400))
    data = await get(client, auth, "/api/stats")
    assert data["items"] == 2 and data["by_provenance"] == {"followed": 1, "promoted": 1}
    assert data["since"] <= now < data["until"]


async def test_stats_over_a_range(client, auth, runtime):
    now = time.time()
    await fill(runtime, record([demo_item(0, "a", "followed")], at=now - 3 * 86400),
               record([demo_item(0, "b", "popular")], at=now - 2 * 86400))
    data = await get(client, auth, f"/api/stats?since={now - 4 * 86400}&until={now - 86400}")
    assert data["items"] == 2 and data["responses"] == 2
    assert data["by_platform_provenance"] == {"demo": {"followed": 1, "popular": 1}}


@pytest.mark.parametrize("query", ["since=10&until=5", "since=x", "from=1"])
async def test_stats_validate_their_query(client, auth, query):
    await get(client, auth, f"/api/stats?{query}", status=400)


# ---- rules for the extension ---------------------------------------------------------------

async def test_rules_dom_lists_dom_sections_and_hosts_by_platform(client, auth):
    data = await get(client, auth, "/api/rules/dom")
    demo = data["platforms"]["demo"]
    assert demo["hosts"] == ["api.demo.test", "app.demo.test"]
    assert demo["version"] == "3"
    [endpoint] = demo["endpoints"]  # only endpoints that have a dom section
    assert endpoint["name"] == "home" and endpoint["dom"]["item"] == ".card"
    assert endpoint["dom"]["id"]["attr"] == "href"
    assert data["errors"] == []


async def test_rules_dom_reports_adapter_errors(client, auth, runtime):
    runtime.adapter_errors.append("rules/platforms/bad.yaml:3: broken")
    assert (await get(client, auth, "/api/rules/dom"))["errors"] == ["rules/platforms/bad.yaml:3: broken"]


# ---- request bodies ------------------------------------------------------------------------

@pytest.mark.parametrize("body,message", [
    ({"name": "strict", "force": True}, "unknown field(s): force"),
    ({}, "missing field(s): name"),
    ({"name": 3}, "'name' must be a string"),
    ({"name": ["strict"]}, "'name' must be a string"),
    ({"name": None}, "'name' must be a string"),
])
async def test_bodies_with_unknown_fields_or_wrong_types_are_400(client, auth, runtime, body, message):
    engine = runtime.engine
    response = await client.post("/api/profiles/active", json=body, headers=auth)
    assert response.status == 400
    assert message in (await response.json())["error"]
    assert runtime.profile_name == "default" and runtime.engine is engine


@pytest.mark.parametrize("raw,message", [
    (b"{", "not valid JSON"), (b"[1, 2]", "must be a JSON object"), (b'"strict"', "JSON object"),
])
async def test_malformed_json_is_400(client, auth, raw, message):
    response = await client.post("/api/profiles/active", data=raw,
                                 headers={**auth, "Content-Type": "application/json"})
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_a_body_that_is_not_json_is_415(client, auth):
    response = await client.post("/api/profiles/active", data={"name": "strict"}, headers=auth)
    assert response.status == 415
    response = await client.post("/api/profiles/active", data=b'{"name": "strict"}',
                                 headers={**auth, "Content-Type": "text/plain"})
    assert response.status == 415


async def test_an_oversized_body_is_413(client, auth, rules_dir):
    before = (rules_dir / "profiles" / "strict.yaml").read_text()
    big = json.dumps({"yaml": "#" * (MAX_BODY + 10)}).encode()
    response = await client.put("/api/profiles/strict", data=io.BytesIO(big),
                                headers={**auth, "Content-Type": "application/json"})
    assert response.status == 413
    assert "error" in await response.json()
    assert (rules_dir / "profiles" / "strict.yaml").read_text() == before


async def test_an_oversized_chunked_body_is_413(client, auth):
    async def chunks():
        yield b'{"yaml": "'
        for _ in range(20):
            yield b"#" * 65536
        yield b'"}'

    response = await client.put("/api/profiles/strict", data=chunks(),
                                headers={**auth, "Content-Type": "application/json"})
    assert response.status == 413


async def test_a_body_just_under_the_limit_is_read(client, auth):
    padding = MAX_BODY - 200
    text = "title: Big\nversion: 1\nrules: []\n#" + "x" * padding + "\n"
    response = await client.put("/api/profiles/big", json={"yaml": text}, headers=auth)
    assert response.status == 201, await response.text()


# ---- health and dashboard data -------------------------------------------------------------

async def test_full_health_includes_the_store_status(client, auth, runtime):
    await fill(runtime, record([demo_item(0, "a")]))
    data = await get(client, auth, "/api/health")
    assert data["ok"] is True and data["version"]
    assert data["store"]["written"]["items"] == 1
    assert data["store"]["schema_version"] >= 1


async def test_the_runtime_is_started_and_closed_with_the_app(aiohttp_client, runtime):
    from feedlens.service import ServiceConfig, init_app

    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    runtime.store.submit(record([demo_item(0, "a")]))
    await runtime.store.flush()  # the store's writer runs: the runtime was started
    assert runtime.store.counts["items"] == 1
    await client.close()
    with pytest.raises(StoreError):  # closed with the app
        await runtime.store.flush()
