"""Switch audits that follow the observed switch state (research/audit_observed.py), through a
real Store and the real Watchdog: confirmed changes switch, markers never do, other platforms
and finished sessions are left alone, and such a session refuses manual marks."""

from __future__ import annotations

import pytest

from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog
from feedlens.research import audit
from feedlens.research.audit_observed import condition_of
from feedlens.store import Store

pytestmark = pytest.mark.filterwarnings("error")

OFF, ON = "not_personalised", "personalised"
T0 = 1_900_000_000.0


def seen(state, kind="flag", platform="bilibili", rule="app-flag", choice="personalised_recommendation"):
    sure = "suspected" if kind == "marker" else "confirmed"
    return Observation(platform, choice, rule, kind, sure, state, {"rule": rule})


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    yield s
    await s.close()


async def test_confirmed_changes_switch_an_observed_session(store):
    """No research consent is needed: the audit keeps times and conditions only."""
    session = await audit.start(store, "bilibili", None, T0, condition_from="observed")
    manual = await audit.start(store, "bilibili", None, T0, condition="on")
    watchdog = Watchdog(store)
    steps = [(seen(ON), T0 + 1), (seen(ON), T0 + 2),               # first window opens, then no change
             (seen(OFF, "marker"), T0 + 3),                           # a marker is only suspected
             (seen(OFF, platform="youtube"), T0 + 4),                 # another platform
             (seen(OFF, choice="ad_personalisation"), T0 + 5),        # another switch
             (seen(OFF, "readback", rule="prefs"), T0 + 6),           # off
             (seen(None, "setting_write"), T0 + 7),                   # a write that does not say which
             (seen(ON, "setting_write", rule="prefs-write"), T0 + 8)]  # on again
    for observation, at in steps:
        await watchdog.observe(observation, "10.0.0.2", at)
    followed = (await audit.get(store, session.id)).to_dict()
    assert followed["condition_from"] == "observed" and followed["condition"] == "on"
    assert followed["switches"] == [
        {"time": T0 + 1, "condition": "on", "source": "observed", "rule": "app-flag", "kind": "flag"},
        {"time": T0 + 6, "condition": "off", "source": "observed", "rule": "prefs", "kind": "readback"},
        {"time": T0 + 8, "condition": "on", "source": "observed", "rule": "prefs-write",
         "kind": "setting_write"}]
    assert (await audit.get(store, manual.id)).switches == [(T0, "on")]  # manual sessions untouched
    windows = (await audit.report(store, session.id, T0 + 10))["conditions"]
    assert windows["on"]["windows"] == [[T0 + 1, T0 + 6], [T0 + 8, T0 + 10]]
    assert windows["off"]["windows"] == [[T0 + 6, T0 + 8]]


async def test_an_observed_session_refuses_manual_marks_and_stops_when_finished(store):
    session = await audit.start(store, "bilibili", "n", T0, condition_from="observed")
    with pytest.raises(audit.AuditStateError, match="observed"):
        await audit.switch(store, session.id, "off", T0 + 1)
    with pytest.raises(audit.AuditStateError):
        await audit.start(store, "bilibili", None, T0, condition="on", condition_from="observed")
    with pytest.raises(audit.AuditStateError):
        await audit.start(store, "bilibili", None, T0, condition_from="guessed")
    await audit.finish(store, session.id, T0 + 2)
    await Watchdog(store).observe(seen(OFF), "10.0.0.2", T0 + 3)
    assert (await audit.get(store, session.id)).switches == []


async def test_an_observation_before_the_session_started_does_not_switch_it(store):
    session = await audit.start(store, "bilibili", None, T0, condition_from="observed")
    await Watchdog(store).observe(seen(OFF), "10.0.0.2", T0 - 5)
    assert (await audit.get(store, session.id)).switches == []


@pytest.mark.parametrize("event,condition", [
    ({"event": "observation", "sure": "confirmed", "kind": "flag", "state": OFF}, "off"),
    ({"event": "observation", "sure": "confirmed", "kind": "readback", "state": ON}, "on"),
    ({"event": "revert", "sure": "confirmed", "kind": "flag", "state": ON}, None),
    ({"event": "observation", "sure": "suspected", "kind": "marker", "state": ON}, None),
    ({"event": "observation", "sure": "suspected", "kind": "flag", "state": ON}, None),
])
def test_which_events_can_switch(event, condition):
    assert condition_of({**event, "choice": "personalised_recommendation"}) == condition
