"""The service side of the choice watchdog's research records and observed audits, over the real
app and its runtime's Store: an audit started to follow the observed switch (API and page
form), refusing manual marks, switched by the real Watchdog and showing its sources; the
choice events counted in research mode's state and on the participant page."""

from __future__ import annotations

import time

import pytest

from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog
from feedlens.research import audit
from feedlens.service.pages import csrf_value
from tests.routes_research import CONSENT
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, log_in, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

OFF, ON = "not_personalised", "personalised"


def seen(state, kind="flag"):
    return Observation("demo", "personalised_recommendation", "demo-flag", kind, "confirmed", state,
                       {"rule": "demo-flag", "read": "query.p", "value": state})


def origin(client) -> str:
    return f"http://127.0.0.1:{client.port}"


async def test_an_observed_audit_through_the_api(client, auth, runtime):
    started = await client.post("/api/research/audit", headers=auth,
                                json={"platform": "demo", "condition": "observed"})
    assert started.status == 201
    session = (await started.json())["session"]
    assert session["condition_from"] == "observed" and session["condition"] is None
    mark = await client.post(f"/api/research/audit/{session['id']}/condition", headers=auth,
                             json={"condition": "off"})
    assert mark.status == 409 and "observed" in (await mark.json())["error"]
    watchdog, now = Watchdog(runtime.store), time.time()
    await watchdog.observe(seen(ON), "10.0.0.3", now)
    await watchdog.observe(seen(OFF, "readback"), "10.0.0.3", now + 1)
    report = await (await client.get(f"/api/research/audit/{session['id']}/report", headers=auth)).json()
    assert [(s["condition"], s["source"], s["kind"]) for s in report["session"]["switches"]] == [
        ("on", "observed", "flag"), ("off", "observed", "readback")]


async def test_the_page_form_starts_an_observed_audit_and_shows_its_sources(client, token, runtime):
    assert (await log_in(client, token)).status == 303
    page = await (await client.get("/research?lang=en")).text()
    assert "Start, following the observed switch" in page
    started = await client.post("/research/audit?lang=en", headers={"Origin": origin(client)},
                                allow_redirects=False,
                                data={"platform": "demo", "condition_from": "observed",
                                      "csrf": csrf_value(token, "/research/audit")})
    assert started.headers["Location"] == "/research?lang=en&notice=started_observed#audit"
    [session] = await audit.list_sessions(runtime.store)
    assert session.condition_from == "observed" and session.switches == []
    await Watchdog(runtime.store).observe(seen(OFF), "10.0.0.3", time.time())
    page = await (await client.get("/research?lang=en")).text()
    assert "follows the observed switch" in page
    assert csrf_value(token, f"/research/audit/{session.id}/condition") not in page  # no manual marks
    report = await (await client.get(f"/research/audit/{session.id}?lang=zh")).text()
    assert "观测到的开关" in report and "flag: demo-flag" in report


async def test_choice_events_are_counted_for_the_participant(client, auth, token, runtime):
    assert (await client.post("/api/research/consent", headers=auth, json=CONSENT)).status == 201
    await Watchdog(runtime.store).observe(seen(OFF), "10.0.0.3", time.time())
    state = await (await client.get("/api/research", headers=auth)).json()
    assert state["choice_events"] == 1
    assert (await log_in(client, token)).status == 303
    page = await (await client.get("/research/participant?lang=en")).text()
    assert "Personalisation-switch events recorded" in page
