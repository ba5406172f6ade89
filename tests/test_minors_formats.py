"""Minors: budgets and curfews per format (`limits.formats`): parsing and its file:line messages,
time per format (attributed to what the earlier response showed), the gate that hides only the
spent formats' items, and restarts."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feedlens import features
from feedlens.adapters import load_adapters
from feedlens.engine import Engine, Request
from feedlens.minors import gate, policy
from feedlens.minors.clock import ManualClock
from feedlens.minors.format_limits import FormatLimit
from feedlens.minors.state import Minors
from feedlens.profiles import MARK_ONLY, ProfileError, load_profile_text
from feedlens.store import Store
from feedlens.yamlsrc import parse

DATA = Path(__file__).parent / "data"
DEMO = (DATA / "demo_home.json").read_bytes()  # v3 is the one short video (vertical)
BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY, SATURDAY = date(2026, 1, 15), date(2026, 1, 17)
PROFILE = """\
title: Kid
version: 1
rules: []
limits:
  formats:
    short_video: {minutes: {school_days: 0, weekends: 20}, curfew: {from: "20:00", to: "08:00"}}
    live: {minutes: 30}
"""


def at(day: date, hour: int, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).timestamp()


@pytest.fixture(autouse=True)
def installed():
    features.install()


@pytest.fixture
async def store(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    yield store
    await store.close()


def kid(store, clock, text: str = PROFILE) -> Minors:
    limits = policy.limits_of(load_profile_text(text, "kid.yaml"))
    state = Minors(store, clock=clock, limits=lambda name: limits if name == "kid" else policy.NO_LIMITS)
    state.registry.assign("user:kid", "kid", None, clock.now())
    return state


# -- parsing and validation -----------------------------------------------------------------------

def test_format_limits_parse_per_day_type_and_for_every_day():
    limits = policy.limits_of(load_profile_text(PROFILE, "kid.yaml"))
    assert limits.formats == {"short_video": FormatLimit(0, 20, (20 * 60, 8 * 60)),
                              "live": FormatLimit(30, 30, None)}
    assert limits.any
    assert limits.formats["short_video"].minutes_on(THURSDAY) == 0
    assert limits.formats["short_video"].minutes_on(SATURDAY) == 20
    weekends_only = policy.parse_limits({"formats": {"video": {"minutes": {"weekends": 60}}}})
    assert weekends_only.formats["video"].minutes_on(THURSDAY) is None  # no budget on school days


@pytest.mark.parametrize("bad, message", [
    ("    short_vidoe: {minutes: 0}",
     "kid.yaml:6: limits.formats: unknown key 'short_vidoe' (did you mean 'short_video'?)"),
    ("    short_video: {minutes: {school_day: 0}}",
     "kid.yaml:6: limits.formats.short_video.minutes: unknown key 'school_day' (did you mean 'school_days'?)"),
    ("    short_video: {minute: 5}",
     "kid.yaml:6: limits.formats.short_video: unknown key 'minute' (did you mean 'minutes'?)"),
    ("    live: {minutes: -1}", "kid.yaml:6: limits.formats.live.minutes: -1 is less than the minimum of 0"),
    ('    live: {curfew: {from: "21:00", to: "21:00"}}',
     "kid.yaml:6: limits.formats.live.curfew: `from` and `to` are the same time; leave curfew out for none"),
    ('    live: {curfew: {from: "25:00", to: "06:00"}}', "kid.yaml:6: limits.formats.live.curfew.from: '25:00'"),
])
def test_bad_format_limits_name_file_line_and_the_closest_spelling(bad, message):
    text = "title: Kid\nversion: 1\nrules: []\nlimits:\n  formats:\n" + bad + "\n"
    with pytest.raises(ProfileError) as error:
        load_profile_text(text, "kid.yaml")
    assert any(m.startswith(message) for m in error.value.messages), error.value.messages


# -- time per format ------------------------------------------------------------------------------

async def test_time_goes_to_the_formats_the_earlier_response_showed(store):
    clock = ManualClock(BERLIN, at(SATURDAY, 10))
    state = kid(store, clock)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"short_video", "video"})
    clock.advance(5 * 60)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"video"})  # 5 min: both on screen
    clock.advance(3 * 60)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"live"})  # 3 min: video only
    clock.advance(20 * 60)  # longer than the session gap: not counted, a new session
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"short_video"})
    book = state.book
    assert book.format_day_seconds("user:kid", "short_video", SATURDAY) == 5 * 60
    assert book.format_day_seconds("user:kid", "video", SATURDAY) == 8 * 60
    assert book.format_day_seconds("user:kid", "live", SATURDAY) == 0
    assert book.day_seconds("user:kid", SATURDAY) == 8 * 60  # the feed's time is counted once


async def test_format_time_splits_at_local_midnight(store):
    clock = ManualClock(BERLIN, at(date(2026, 1, 16), 23, 55))
    state = kid(store, clock)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"live"})
    clock.advance(10 * 60)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats=set())
    assert state.book.format_day_seconds("user:kid", "live", date(2026, 1, 16)) == 5 * 60
    assert state.book.format_day_seconds("user:kid", "live", SATURDAY) == 5 * 60


async def test_a_zero_budget_hides_its_format_all_day_and_others_stay(store):
    clock = ManualClock(BERLIN, at(THURSDAY, 15))
    state = kid(store, clock)
    assert state.hidden_formats("user:kid", clock.now()) == ("short_video",)
    assert state.hidden_formats("user:mum", clock.now()) == ()  # the default profile: no limits
    status = state.format_status("user:kid", clock.now())
    assert status["short_video"] == {
        "format": "short_video", "day_type": "school_day", "used_minutes": 0, "budget_minutes": 0,
        "remaining_minutes": 0, "curfew": "20:00–08:00", "hidden": True, "reason": "budget",
        "provenance": []}
    assert status["live"]["hidden"] is False and status["live"]["remaining_minutes"] == 30
    assert state.status("user:kid", clock.now())["blocked"] is False  # the feed itself stays open


async def test_a_weekend_budget_is_spent_at_the_response_that_spends_it(store):
    clock = ManualClock(BERLIN, at(SATURDAY, 15))
    state = kid(store, clock)
    for _ in range(4):  # 0, 5, 10, 15 minutes: 15 minutes with a short video on screen
        assert state.hidden_formats("user:kid", clock.now()) == ()
        state.record_feed("user:kid", "kid", clock.now(), {}, formats={"short_video"})
        clock.advance(5 * 60)
    # 20 minutes now, counting the running interval since the last response
    assert state.hidden_formats("user:kid", clock.now()) == ("short_video",)
    assert state.format_status("user:kid", clock.now())["short_video"]["used_minutes"] == 20
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"video"})
    clock.advance(5 * 60)
    assert state.hidden_formats("user:kid", clock.now()) == ("short_video",)  # spent for today
    assert state.hidden_formats("user:kid", at(date(2026, 1, 18), 10)) == ()  # Sunday: a new day
    usage = await state.usage("user:kid", clock.now())
    assert {f["format"]: f["used_minutes"] for f in usage["formats"]} == {"live": 0, "short_video": 20}


@pytest.mark.parametrize("hour, minute, hidden", [
    (19, 59, ()), (20, 0, ("short_video",)), (23, 0, ("short_video",)), (7, 59, ("short_video",)),
    (8, 0, ()),
])
async def test_a_format_curfew_crosses_midnight(store, hour, minute, hidden):
    clock = ManualClock(BERLIN, at(SATURDAY, hour, minute))
    assert kid(store, clock).hidden_formats("user:kid", clock.now()) == hidden


async def test_format_time_and_the_screen_survive_a_restart(tmp_path):
    store = Store(tmp_path / "db.sqlite3", prune_interval=0)
    await store.start()
    clock = ManualClock(BERLIN, at(SATURDAY, 10))
    state = kid(store, clock)
    await state.set_device("user:kid", "kid")
    for minute in (0, 5, 10):
        state.record_feed("user:kid", "kid", at(SATURDAY, 10, minute), {}, formats={"short_video"})
    await state.flush()
    await store.close()

    store = Store(tmp_path / "db.sqlite3", prune_interval=0)
    await store.start()
    again = kid(store, clock)
    await again.load()
    assert again.book.format_day_seconds("user:kid", "short_video", SATURDAY) == 10 * 60
    assert again.book.sessions["user:kid"].formats == ("short_video",)
    again.record_feed("user:kid", "kid", at(SATURDAY, 10, 15), {})  # the short stayed on screen
    assert again.format_status("user:kid", at(SATURDAY, 10, 15))["short_video"]["used_minutes"] == 15
    await again.flush()
    rows = await store.run_read(lambda conn: conn.execute(
        "SELECT device, format, day, seconds FROM minors_format_usage").fetchall())
    assert [tuple(r) for r in rows] == [("user:kid", "short_video", "2026-01-17", 900.0)]
    await store.close()


# -- the gate -------------------------------------------------------------------------------------

def demo_outcome(profile):
    engine = Engine(load_adapters([DATA / "demo.yaml"]), profile)
    return engine.process(Request("GET", "https://api.demo.test/feed/home"), DEMO)


def test_the_format_rule_hides_only_that_format():
    outcome = demo_outcome(gate.gated_profile(MARK_ONLY, formats=("short_video",)))
    decisions = {i.id: (i.format, i.decision, i.decision_rule) for i in outcome.items}
    assert decisions["v3"] == ("short_video", "hide", gate.FORMAT_RULE)
    assert all(d == "keep" for fmt, d, _ in decisions.values() if fmt != "short_video")
    assert [e.get("id") for e in json.loads(outcome.body)["data"]["list"]] == ["v1", "v2", "v4", "v5", None]
    assert gate.shown_formats(outcome.items) == {
        "video", "video:followed", "video:promoted", "video:popular"}  # v3, the personalized one, is hidden


NARROWED = PROFILE.replace("    live: {minutes: 30}\n",
                           "    live: {minutes: 30}\n    video: {minutes: 10, provenance: [personalized, popular]}\n")


async def test_a_limit_narrowed_to_provenances_counts_and_hides_only_those(store):
    clock = ManualClock(BERLIN, at(SATURDAY, 15))
    state = kid(store, clock, NARROWED)
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"video", "video:followed"})
    clock.advance(5 * 60)  # only followed videos on screen: no recommended-video time
    state.record_feed("user:kid", "kid", clock.now(), {}, formats={"video", "video:popular", "video:followed"})
    clock.advance(10 * 60)  # a popular video on screen for 10 minutes: the budget is spent
    status = state.format_status("user:kid", clock.now())["video"]
    assert (status["used_minutes"], status["hidden"], status["provenance"]) == (10, True, ["personalized", "popular"])
    assert state.book.format_day_seconds("user:kid", "video", SATURDAY) == 5 * 60  # its own time, all videos
    hidden = state.hidden_formats("user:kid", clock.now())
    assert hidden == ("video:personalized", "video:popular")
    outcome = demo_outcome(gate.gated_profile(MARK_ONLY, formats=hidden))
    assert {i.id: i.decision for i in outcome.items if i.format == "video"} == {
        "v1": "keep", "v2": "keep", "v4": "hide", "v5": "keep"}  # followed and the ad stay


def test_a_narrowed_limit_names_real_provenances():
    with pytest.raises(ProfileError) as error:
        load_profile_text(NARROWED.replace("[personalized, popular]", "[personalised]"), "kid.yaml")
    assert "did you mean 'personalized'?" in str(error.value)


def test_a_hidden_format_uses_no_session_quota_slot():
    profile = gate.gated_profile(MARK_ONLY, formats=("short_video",), quota={"personalized": 1})
    outcome = demo_outcome(profile)
    assert {i.id: i.decision_rule for i in outcome.items if i.decision == "hide"} == {"v3": gate.FORMAT_RULE}
    assert gate.shown_counts(outcome.items)["followed"] == 2


def test_decide_carries_the_hidden_formats_and_a_block_wins():
    decision = gate.decide({"blocked": False}, html=False, formats=("short_video", "live"))
    assert decision.formats == ("live", "short_video") and gate.applies(decision)
    assert not decision.hide_all
    blocked = gate.decide({"blocked": True, "reason": "curfew"}, html=False, formats=("live",))
    assert blocked.hide_all and gate.applies(blocked)
    assert not gate.applies(gate.decide({"blocked": False}, html=False))
    whole = gate.gated_profile(parse_profile(), hide_all=True, formats=("live",))
    assert [r.id for r in whole.rules] == [gate.BLOCKED_RULE]


def parse_profile():
    from feedlens.profiles import compile_profile
    return compile_profile(parse(PROFILE, "kid.yaml"))


@pytest.mark.parametrize("name, school_days, weekends", [
    ("minor-under-8", 0, 0), ("minor-8-12", 0, 15), ("minor-12-16", 0, 20), ("minor-16-18", 20, 40),
])
def test_the_presets_budget_short_videos_per_age_band(name, school_days, weekends):
    from feedlens import paths
    from feedlens.profiles import load_profile
    limits = policy.limits_of(load_profile(paths.profiles_dir() / f"{name}.yaml"))
    assert limits.formats == {"short_video": FormatLimit(school_days, weekends, None)}
    assert limits.daily_minutes >= weekends  # inside the daily time, never beyond it
