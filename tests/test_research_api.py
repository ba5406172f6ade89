"""The research API over the service with a real store: consent, state, pause, preview,
deletion, and their input checks."""

from __future__ import annotations

import pytest

from tests.research_support import NOW, distinctive_item, response
from tests.routes_research import CONSENT
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")


async def call(client, auth, method, path, body=None, status=200):
    answer = await client.request(method, path, json=body, headers=auth)
    assert answer.status == status, await answer.text()
    return await answer.json()


async def feed(runtime, *records):
    for r in records:
        runtime.store.submit(r)
    await runtime.store.flush()


async def test_research_is_off_by_default_and_records_nothing(client, auth, runtime):
    state = await call(client, auth, "GET", "/api/research")
    assert state["enabled"] is False and state["recording"] is False and state["consent"] is None
    assert state["fields_available"] == ["title", "text", "author_name", "url", "reason_text",
                                         "audit_condition"]
    await feed(runtime, response([distinctive_item(0)]))
    assert (await call(client, auth, "GET", "/api/research"))["records"] == 0
    assert (await call(client, auth, "GET", "/api/research/preview"))["rows"] == []


async def test_consent_turns_recording_on_with_only_the_consented_fields(client, auth, runtime):
    state = await call(client, auth, "POST", "/api/research/consent", CONSENT, status=201)
    assert state["enabled"] and state["recording"]
    assert {k: state["consent"][k] for k in CONSENT} == CONSENT
    await feed(runtime, response([distinctive_item(n) for n in range(3)]))
    preview = await call(client, auth, "GET", "/api/research/preview?limit=2")
    assert preview["count"] == 2
    assert [r["title"] for r in preview["rows"]] == ["TITLEMARK0002Q 标题", "TITLEMARK0001Q 标题"]
    assert {r["text"] for r in preview["rows"]} == {None}
    assert {r["study_id"] for r in preview["rows"]} == {"feeds-2026"}
    assert all("ITEMID" not in (r["item_pid"] or "") for r in preview["rows"])


async def test_pause_and_resume(client, auth, runtime):
    await call(client, auth, "POST", "/api/research/consent", CONSENT, status=201)
    paused = await call(client, auth, "POST", "/api/research/pause", {"paused": True})
    assert paused["paused"] and not paused["recording"]
    await feed(runtime, response([distinctive_item(0)]))
    resumed = await call(client, auth, "POST", "/api/research/pause", {"paused": False})
    assert resumed["recording"] and resumed["records"] == 0
    await feed(runtime, response([distinctive_item(1)]))
    assert (await call(client, auth, "GET", "/api/research"))["records"] == 1


async def test_pause_while_off_is_404(client, auth):
    answer = await call(client, auth, "POST", "/api/research/pause", {"paused": True}, status=404)
    assert "off" in answer["error"]


async def test_disable_stops_recording(client, auth, runtime):
    await call(client, auth, "POST", "/api/research/consent", CONSENT, status=201)
    await feed(runtime, response([distinctive_item(0)]))
    state = await call(client, auth, "POST", "/api/research/disable", {})
    assert state["enabled"] is False and state["records"] == 1
    await feed(runtime, response([distinctive_item(1)]))
    assert (await call(client, auth, "GET", "/api/research"))["records"] == 1


async def test_delete_a_time_range(client, auth, runtime):
    await call(client, auth, "POST", "/api/research/consent", CONSENT, status=201)
    await feed(runtime, *[response([distinctive_item(n)], at=NOW + 60 * n) for n in range(4)])
    answer = await call(client, auth, "POST", "/api/research/delete",
                        {"since": NOW + 60, "until": NOW + 120})
    assert answer == {"deleted": 1}
    rows = (await call(client, auth, "GET", "/api/research/preview"))["rows"]
    assert [r["position"] for r in rows] == [3, 2, 0]


@pytest.mark.parametrize("body,message", [
    ({**CONSENT, "fields": ["title", "phone"]}, "unknown phone"),
    ({**CONSENT, "study_id": "../etc"}, "study_id"),
    ({**CONSENT, "retention_days": 0}, "retention_days"),
    ({**CONSENT, "retention_days": "30"}, "retention_days"),
    ({**CONSENT, "study_key": "zz"}, "hex"),
    ({k: v for k, v in CONSENT.items() if k != "fields"}, "missing field(s): fields"),
    ({**CONSENT, "extra": 1}, "unknown field(s): extra"),
])
async def test_a_bad_consent_is_400_and_research_stays_off(client, auth, body, message):
    answer = await call(client, auth, "POST", "/api/research/consent", body, status=400)
    assert message in answer["error"]
    assert (await call(client, auth, "GET", "/api/research"))["enabled"] is False


@pytest.mark.parametrize("method,path,body,message", [
    ("POST", "/api/research/delete", {"since": 5, "until": 5}, "before"),
    ("POST", "/api/research/delete", {"since": 5}, "missing"),
    ("POST", "/api/research/pause", {"paused": "yes"}, "boolean"),
    ("GET", "/api/research/preview?limit=0", None, "limit"),
    ("GET", "/api/research/preview?limit=501", None, "limit"),
    ("POST", "/api/research/disable", {"now": True}, "unknown"),
])
async def test_bad_requests_are_400(client, auth, method, path, body, message):
    answer = await call(client, auth, method, path, body, status=400)
    assert message in answer["error"]
