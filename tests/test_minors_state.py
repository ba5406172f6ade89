"""Minors state: restarts keep usage, devices choose profiles, session quotas, time requests."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feedlens import features
from feedlens.adapters import load_adapters
from feedlens.engine import Engine, Request
from feedlens.minors import gate, policy
from feedlens.minors.clock import ManualClock
from feedlens.minors.devices import addr_device, device_of
from feedlens.minors.state import MAX_PENDING, Minors, MinorsError, NotFound
from feedlens.model import Item, Provenance
from feedlens.offload import Offload
from feedlens.profiles import MARK_ONLY
from feedlens.runtime import Config, Runtime
from feedlens.store import ResponseRecord, Store

from .test_runtime import HIDE_ADS, touch_write

DATA = Path(__file__).parent / "data"
DEMO = (DATA / "demo_home.json").read_bytes()
DEMO_REQUEST = Request("GET", "https://api.demo.test/feed/home")
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 15, 16, 0, tzinfo=BERLIN).timestamp()
KID = """title: Kid
version: 1
rules:
  - id: hide-promoted
    when: {provenance: promoted}
    action: hide
limits:
  daily_minutes: 60
  session_items: {followed: 1}
"""


def kid_limits(name: str):
    return policy.parse_limits({"daily_minutes": 60, "session_items": {"followed": 1}}) \
        if name == "kid" else policy.NO_LIMITS


async def started(path: Path) -> Store:
    store = Store(path, prune_interval=0)
    await store.start()
    return store


# -- devices --------------------------------------------------------------------------------------

def test_device_names_come_from_proxy_auth_else_the_client_address():
    assert device_of({"proxyauth": ("kid-tablet", "x")}, ("10.0.0.5", 5000)) == "user:kid-tablet"
    assert device_of({}, ("10.0.0.5", 5000)) == "addr:10.0.0.5"
    assert device_of({"proxyauth": ("", "")}, ("::ffff:10.0.0.5", 5000, 0, 0)) == "addr:10.0.0.5"
    assert device_of({"proxyauth": ("a\x00b\nc", "")}, None) == "user:abc"
    assert addr_device(None) == "addr:unknown"


async def test_devices_choose_their_profile_and_keep_it_across_restarts(tmp_path):
    store = await started(tmp_path / "db.sqlite3")
    clock = ManualClock(BERLIN, T0)
    state = Minors(store, clock=clock, default_profile=lambda: "default")
    await state.set_device("user:kid", "kid", label="Kid's tablet")
    assert state.device_profile("user:kid") == "kid" and state.profile_for("user:kid") == "kid"
    assert state.device_profile("user:mum") is None and state.profile_for("user:mum") == "default"
    with pytest.raises(MinorsError):
        await state.set_device("kid", "kid")
    with pytest.raises(MinorsError):
        await state.set_device("user:kid", "../etc/passwd")
    await state.set_device("addr:10.0.0.9", "kid")
    assert await state.remove_device("addr:10.0.0.9") is True
    assert await state.remove_device("addr:10.0.0.9") is False
    await store.close()

    store = await started(tmp_path / "db.sqlite3")
    again = Minors(store, clock=clock)
    await again.load()
    assert again.device_profile("user:kid") == "kid" and again.device_profile("addr:10.0.0.9") is None
    [device] = await again.devices()
    assert device["label"] == "Kid's tablet" and device["source"] == "user"
    assert device["expected_daily"] is False
    await store.close()


async def test_restart_keeps_usage_sessions_and_grants(tmp_path):
    store = await started(tmp_path / "db.sqlite3")
    clock = ManualClock(BERLIN, T0)
    state = Minors(store, clock=clock, limits=kid_limits)
    await state.set_device("user:kid", "kid")
    for minute in range(0, 25, 5):
        state.record_feed("user:kid", "kid", T0 + minute * 60, {"followed": 1})
    await state.grant("user:kid", 15, T0 + 20 * 60)
    await state.flush()
    await store.close()

    store = await started(tmp_path / "db.sqlite3")
    again = Minors(store, clock=clock, limits=kid_limits)
    await again.load()
    usage = await again.usage("user:kid", T0 + 21 * 60)
    assert usage["today_minutes"] == 20 and usage["extra_minutes"] == 15
    assert usage["remaining_minutes"] == 60 + 15 - 20
    assert usage["session_items"] == {"followed": 5}
    [device] = await again.devices()
    assert device["first_seen"] == T0 and device["last_seen"] == T0 + 20 * 60
    again.record_feed("user:kid", "kid", T0 + 25 * 60, {})  # the session goes on after the restart
    assert (await again.usage("user:kid", T0 + 25 * 60))["today_minutes"] == 25
    await store.close()


# -- session quotas -------------------------------------------------------------------------------

def demo_engine(profile=MARK_ONLY) -> Engine:
    return Engine(load_adapters([DATA / "demo.yaml"]), profile)


def test_session_quota_hides_items_beyond_n_and_counts_only_shown_ones():
    base = demo_engine()
    hide_ads = dataclass_profile()
    engine = Engine(base.adapters, gate.gated_profile(hide_ads, quota={"followed": 1, "promoted": 5}))
    outcome = engine.process(DEMO_REQUEST, DEMO)
    decisions = {i.id: (i.decision, i.decision_rule) for i in outcome.items}
    assert decisions["v1"] == ("keep", None)
    assert decisions["v5"] == ("hide", gate.SESSION_RULE)  # the second followed item
    assert decisions["v2"] == ("hide", "hide-promoted")  # hidden by the profile, not the quota
    assert gate.shown_counts(outcome.items) == {"followed": 1, "personalized": 1, "popular": 1}
    assert [e.get("id") for e in json.loads(outcome.body)["data"]["list"]] == ["v1", "v3", "v4", None]


def test_hide_all_keeps_the_json_valid_and_the_cursor():
    engine = Engine(demo_engine().adapters, gate.gated_profile(MARK_ONLY, hide_all=True))
    outcome = engine.process(DEMO_REQUEST, DEMO)
    body = json.loads(outcome.body)
    assert body["code"] == 0 and body["data"]["list"] == [{"type": "cursor", "offset": "abc123"}]
    assert all(i.decision_rule == gate.BLOCKED_RULE for i in outcome.items)


def dataclass_profile():
    from feedlens.profiles import compile_profile
    from feedlens.yamlsrc import parse
    return compile_profile(parse(HIDE_ADS, "hide-ads.yaml"))


async def test_session_quota_follows_the_session(tmp_path):
    store = await started(tmp_path / "db.sqlite3")
    clock = ManualClock(BERLIN, T0)
    state = Minors(store, clock=clock, limits=kid_limits)
    await state.set_device("user:kid", "kid")
    assert state.session_quota("user:kid", clock.now()) == {"followed": 1}
    state.record_feed("user:kid", "kid", clock.now(), {"followed": 1, "personalized": 3})
    assert state.session_quota("user:kid", clock.now()) == {"followed": 0}
    clock.advance(11 * 60)  # longer than the session gap: a new session, a fresh quota
    assert state.session_quota("user:kid", clock.now()) == {"followed": 1}
    assert state.session_quota("user:mum", clock.now()) == {}
    await store.close()


# -- time requests --------------------------------------------------------------------------------

async def test_time_requests_are_asked_decided_once_and_bounded(tmp_path):
    store = await started(tmp_path / "db.sqlite3")
    clock = ManualClock(BERLIN, T0)
    state = Minors(store, clock=clock, limits=kid_limits)
    await state.set_device("user:kid", "kid")
    asked = await state.add_time_request("user:kid", 30, "homework video\x07")
    assert asked["status"] == "pending" and asked["note"] == "homework video"
    assert [r["id"] for r in await state.time_requests()] == [asked["id"]]
    decided = await state.decide_time_request(asked["id"], True, minutes=20)
    assert decided["status"] == "approved" and decided["granted"] == 20
    assert (await state.usage("user:kid", clock.now()))["extra_minutes"] == 20
    with pytest.raises(MinorsError, match="already approved"):
        await state.decide_time_request(asked["id"], False)
    with pytest.raises(NotFound):
        await state.decide_time_request(9999, True)
    with pytest.raises(MinorsError):
        await state.add_time_request("user:kid", 0, None)
    declined = await state.add_time_request("user:kid", 15, None)
    assert (await state.decide_time_request(declined["id"], False))["status"] == "declined"
    assert (await state.usage("user:kid", clock.now()))["extra_minutes"] == 20
    for _ in range(MAX_PENDING + 3):
        await state.add_time_request("user:kid", 15, None)
    assert len(await state.time_requests()) == MAX_PENDING
    assert len(await state.time_requests(None)) == MAX_PENDING + 2
    await store.close()


async def test_filtered_counts_are_per_device(tmp_path):
    store = await started(tmp_path / "db.sqlite3")
    state = Minors(store, clock=ManualClock(BERLIN, T0))

    def item(n, decision, rule, labels=()):
        return Item(platform="demo", endpoint="home", surface="home", position=n, id=f"i{n}",
                    kind="video", provenance=Provenance.PERSONALIZED, decision=decision,
                    decision_rule=rule, labels=list(labels))
    for device, items in (("user:kid", [item(0, "hide", "no-ads"), item(1, "warn", "minors-warn",
                                                                          ["cn.bad.gore_shock"]),
                                         item(2, "keep", None)]),
                          ("user:mum", [item(3, "hide", "no-ads")])):
        store.submit(ResponseRecord(time=T0, platform="demo", endpoint="home", surface="home",
                                    url="https://api.demo.test/feed/home", status=200, changed=True,
                                    error=None, items=items, device=device))
    await store.flush()
    counts = await state.filtered_counts("user:kid", T0 - 1, T0 + 1)
    assert counts == {"total": 2, "by_decision": {"hide": 1, "warn": 1},
                      "by_rule": {"no-ads": 1, "minors-warn": 1},
                      "by_category": {"cn.bad.gore_shock": 1}}
    assert (await state.filtered_counts("user:kid", T0 + 1, T0 + 2))["total"] == 0
    await store.close()


# -- the runtime: one engine per profile ------------------------------------------------------------

@pytest.fixture
def rules(tmp_path) -> Path:
    root = tmp_path / "rules"
    (root / "platforms").mkdir(parents=True)
    (root / "profiles").mkdir()
    shutil.copy(DATA / "demo.yaml", root / "platforms" / "demo.yaml")
    (root / "profiles" / "default.yaml").write_text("title: Mark only\nversion: 1\nrules: []\n")
    (root / "profiles" / "kid.yaml").write_text(KID)
    return root


async def test_engine_for_caches_per_profile_and_rebuilds_on_reload(tmp_path, rules):
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile="default"))
    kid = runtime.profile_engine("kid").engine
    assert runtime.profile_engine("kid").engine is kid and kid.profile.name == "kid"
    assert runtime.profile_engine(None).engine is runtime.engine and runtime.profile_engine("default").engine is runtime.engine
    assert runtime.limits_for("kid").daily_minutes == 60 and not runtime.limits_for("default").any
    assert runtime.profile_engine("kid").spec.profile[0] == "kid"
    assert runtime.profile_engine("kid").spec.adapters is runtime.engine_spec.adapters  # one worker pool
    touch_write(rules / "profiles" / "kid.yaml", KID.replace("daily_minutes: 60", "daily_minutes: 30"))
    runtime.reload()
    assert runtime.profile_engine("kid").engine is not kid and runtime.limits_for("kid").daily_minutes == 30
    touch_write(rules / "profiles" / "kid.yaml", KID.replace("daily_minutes: 60", "daily_minutes: -1"))
    runtime.reload()
    assert runtime.limits_for("kid").daily_minutes == 30  # the last good version stays
    assert any("kid.yaml:8:" in m for m in runtime.health()["device_profile_errors"]["kid"])
    assert runtime.profile_engine("nope").engine is runtime.engine  # unknown: the active profile (fail open)
    assert "nope" in runtime.health()["device_profile_errors"]


async def test_a_worker_runs_the_profile_and_gate_of_its_job(tmp_path, rules):
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile="default"))
    offload = Offload(workers=1, setup=features.install)  # the worker registers the gate by name
    try:
        outcome, _ = await offload.transform(runtime.profile_engine("kid").spec, DEMO_REQUEST, DEMO, None, None)
        assert {i.id: i.decision for i in outcome.items}["v2"] == "hide"
        blocked = runtime.profile_engine("kid").spec.with_gate(gate.GATE_NAME, hide_all=True, quota=())
        outcome, raw = await offload.transform(blocked, DEMO_REQUEST, DEMO, None, None)
        assert all(i.decision == "hide" for i in outcome.items)
        assert json.loads(raw)["data"]["list"] == [{"type": "cursor", "offset": "abc123"}]
        outcome, _ = await offload.transform(runtime.engine_spec, DEMO_REQUEST, DEMO, None, None)
        assert all(i.decision == "keep" for i in outcome.items)  # the same pool, another profile
    finally:
        offload.close()


@pytest.mark.parametrize("argv, expected", [
    ([], None), (["--device-auth"], "any"), (["--device-auth", "family.htpasswd"], "@"),
])
def test_run_device_auth_turns_on_mitmproxys_proxy_auth(argv, expected, tmp_path):
    import argparse

    from feedlens.run import _options, add_run_parser
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    mitm, _ = _options(parser.parse_args(["run", *argv]), tmp_path)
    if expected == "@":
        assert mitm["proxyauth"] == "@" + str(Path("family.htpasswd").resolve())
    else:
        assert mitm.get("proxyauth") == expected


async def test_usage_that_fails_to_write_is_kept_and_written_later(tmp_path, monkeypatch):
    store = await started(tmp_path / "db.sqlite3")
    state = Minors(store, clock=ManualClock(BERLIN, T0), limits=kid_limits)
    await state.set_device("user:kid", "kid")
    real = store.run_write

    async def disk_full(fn):
        raise OSError("disk full")
    monkeypatch.setattr(store, "run_write", disk_full)
    state.record_feed("user:kid", "kid", T0, {})
    state.record_feed("user:kid", "kid", T0 + 300, {})
    await state.flush()
    assert state.counters["write_errors"] == 1 and "disk full" in state.last_error["error"]
    monkeypatch.setattr(store, "run_write", real)
    await state.close()
    rows = await store.run_read(lambda conn: conn.execute(
        "SELECT device, profile, seconds FROM minors_usage").fetchall())
    assert [tuple(r) for r in rows] == [("user:kid", "kid", 300.0)]
    await store.close()
