"""Minors: the injectable clock, `limits:` parsing, curfew across midnight, budgets, DST days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from feedlens.minors import policy
from feedlens.minors.clock import Clock, ManualClock
from feedlens.minors.policy import Limits, parse_limits
from feedlens.minors.state import Minors
from feedlens.profiles import ProfileError, compile_profile
from feedlens.store import Store
from feedlens.yamlsrc import parse

BERLIN = ZoneInfo("Europe/Berlin")


def at(*fields) -> float:
    """A Europe/Berlin wall-clock time as a timestamp (fold=0 for an ambiguous one)."""
    return datetime(*fields, tzinfo=BERLIN).timestamp()


@pytest.fixture
async def store(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    yield store
    await store.close()


def minors(store, clock, limits: Limits, device="user:kid") -> Minors:
    """A Minors whose device `kid` runs profile `kid` with these limits; others run `default`."""
    state = Minors(store, clock=clock, limits=lambda name: limits if name == "kid" else policy.NO_LIMITS)
    state.registry.assign(device, "kid", None, clock.now())
    return state


def browse(state: Minors, clock: ManualClock, until: float, every: float = 300, device="user:kid"):
    """Feed responses every `every` seconds from now up to and including `until`."""
    while clock.now() <= until:
        state.record_feed(device, "kid", clock.now(), {})
        clock.advance(every)
    clock.set(until)


# -- clock ----------------------------------------------------------------------------------------

def test_local_days_are_23_and_25_hours_long_on_dst_days():
    clock = Clock("Europe/Berlin")
    assert clock.next_day_start(at(2026, 3, 29, 12)) - clock.day_start(date(2026, 3, 29)) == 23 * 3600
    assert clock.next_day_start(at(2026, 10, 25, 12)) - clock.day_start(date(2026, 10, 25)) == 25 * 3600
    assert clock.local(at(2026, 3, 29, 3, 30)).utcoffset().total_seconds() == 7200


def test_split_days_cuts_at_local_midnight():
    clock = Clock("Europe/Berlin")
    assert clock.split_days(at(2026, 1, 14, 23, 50), at(2026, 1, 15, 0, 10)) == [
        (date(2026, 1, 14), 600.0), (date(2026, 1, 15), 600.0)]


# -- policy ---------------------------------------------------------------------------------------

PROFILE = """\
title: Kid
version: 1
rules: []
limits:
  daily_minutes: 60
  curfew: {from: "22:00", to: "06:00"}
  rest_reminder_minutes: 30
  session_items: {personalized: 20}
"""


def test_limits_parse_from_a_profile():
    profile = compile_profile(parse(PROFILE, "kid.yaml"))
    limits = policy.limits_of(profile)
    assert limits == Limits(daily_minutes=60, curfew=(22 * 60, 6 * 60), rest_reminder_minutes=30,
                            session_gap_minutes=10, session_items={"personalized": 20})
    assert policy.limits_of(compile_profile(parse("title: t\nversion: 1\nrules: []\n", "p.yaml"))) \
        == policy.NO_LIMITS


@pytest.mark.parametrize("line, bad, message", [
    (6, '  curfew: {from: "24:00", to: "06:00"}', "curfew.from"),
    (5, "  daily_minutes: -5", "daily_minutes"),
    (8, "  session_items: {trending: 3}", "session_items"),
    (7, "  rest_reminder_minutes: soon", "rest_reminder_minutes"),

])
def test_bad_limits_name_file_and_line(line, bad, message):  # the line of the bad value
    text = PROFILE.replace(PROFILE.splitlines()[line - 1], bad)
    with pytest.raises(ProfileError) as error:
        compile_profile(parse(text, "kid.yaml"))
    assert any(m.startswith(f"kid.yaml:{line}:") and message in m for m in error.value.messages), \
        error.value.messages


def test_an_unknown_limit_is_named_at_its_own_line():
    with pytest.raises(ProfileError, match=r"kid.yaml:7: limits: unknown key 'bedtime'"):
        compile_profile(parse(PROFILE.replace("  rest_reminder_minutes: 30", "  bedtime: 21"), "kid.yaml"))


def test_a_curfew_of_no_length_is_refused_with_its_line():
    source = parse(PROFILE.replace('"06:00"', '"22:00"'), "kid.yaml")
    assert policy.check(source) == [
        "kid.yaml:6: limits.curfew: `from` and `to` are the same time; leave curfew out for none"]
    assert policy.check(parse(PROFILE, "kid.yaml")) == []


# -- curfew ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("when, blocked, until", [
    ((2026, 1, 15, 21, 59), False, None),
    ((2026, 1, 15, 22, 0), True, (2026, 1, 16, 6, 0)),
    ((2026, 1, 16, 0, 0), True, (2026, 1, 16, 6, 0)),
    ((2026, 1, 16, 5, 59), True, (2026, 1, 16, 6, 0)),
    ((2026, 1, 16, 6, 0), False, None),
])
async def test_curfew_crosses_midnight(store, when, blocked, until):
    clock = ManualClock("Europe/Berlin", at(*when))
    state = minors(store, clock, parse_limits({"curfew": {"from": "22:00", "to": "06:00"}}))
    status = state.status("user:kid", clock.now())
    assert status["blocked"] is blocked
    assert status["reason"] == ("curfew" if blocked else None)
    assert status["until"] == (at(*until) if until else None)
    assert state.status("user:parent", clock.now())["blocked"] is False  # default profile: no limits


async def test_curfew_ends_at_the_local_time_on_a_dst_night(store):
    clock = ManualClock("Europe/Berlin", at(2026, 3, 28, 23, 0))
    state = minors(store, clock, parse_limits({"curfew": {"from": "22:00", "to": "06:00"}}))
    until = state.status("user:kid", clock.now())["until"]
    assert until == at(2026, 3, 29, 6, 0) and until - clock.now() == 6 * 3600  # 7 wall-clock hours


# -- budgets --------------------------------------------------------------------------------------

async def test_budget_spent_exactly_blocks_until_local_midnight(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 15, 10, 0))
    state = minors(store, clock, parse_limits({"daily_minutes": 60}))
    browse(state, clock, at(2026, 1, 15, 10, 55))
    status = state.status("user:kid", clock.now())
    assert not status["blocked"] and status["remaining_minutes"] == 5
    clock.set(at(2026, 1, 15, 11, 0))
    state.record_feed("user:kid", "kid", clock.now(), {})
    status = state.status("user:kid", clock.now())
    assert status["blocked"] and status["reason"] == "budget" and status["remaining_minutes"] == 0
    assert status["until"] == at(2026, 1, 16, 0, 0)
    usage = await state.usage("user:kid", clock.now())
    assert usage["today_minutes"] == 60 and usage["budget_minutes"] == 60
    clock.set(at(2026, 1, 16, 0, 1))
    assert not state.status("user:kid", clock.now())["blocked"]  # a new local day, a new budget


async def test_budget_until_skips_a_curfew_that_covers_midnight(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 15, 20, 0))
    limits = parse_limits({"daily_minutes": 0, "curfew": {"from": "22:00", "to": "06:00"}})
    status = minors(store, clock, limits).status("user:kid", clock.now())
    assert status["reason"] == "budget" and status["until"] == at(2026, 1, 16, 6, 0)


async def test_only_gaps_within_the_session_gap_count(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 15, 10, 0))
    state = minors(store, clock, parse_limits({"daily_minutes": 60, "session_gap_minutes": 10}))
    for offset in (0, 9 * 60, 20 * 60, 60 * 60, 61 * 60):  # gaps: 9 (counts), 11, 40, 1 (counts)
        state.record_feed("user:kid", "kid", at(2026, 1, 15, 10, 0) + offset, {})
    usage = await state.usage("user:kid", at(2026, 1, 15, 11, 2))
    assert usage["today_minutes"] == 10 and usage["remaining_minutes"] == 50


async def test_use_across_midnight_counts_on_both_local_days(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 14, 23, 50))
    state = minors(store, clock, parse_limits({"daily_minutes": 60}))
    browse(state, clock, at(2026, 1, 15, 0, 10))
    assert (await state.usage("user:kid", at(2026, 1, 14, 23, 59)))["today_minutes"] == 10
    assert (await state.usage("user:kid", clock.now()))["today_minutes"] == 10


@pytest.mark.parametrize("day, real_minutes", [
    ((2026, 3, 29), 60),   # 01:30 → 03:30 on the wall clock; 02:00-03:00 does not exist
    ((2026, 10, 25), 180),  # 01:30 → 03:30 on the wall clock; 02:00-03:00 happens twice
])
async def test_dst_days_count_real_minutes(store, day, real_minutes):
    start, end = at(*day, 1, 30), at(*day, 3, 30)
    assert end - start == real_minutes * 60
    clock = ManualClock("Europe/Berlin", start)
    state = minors(store, clock, parse_limits({"daily_minutes": 240}))
    browse(state, clock, end)
    usage = await state.usage("user:kid", clock.now())
    assert usage["today_minutes"] == real_minutes
    assert usage["remaining_minutes"] == 240 - real_minutes


async def test_rest_reminder_is_due_after_continuous_use_and_again_after_shown(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 15, 15, 0))
    state = minors(store, clock, parse_limits({"rest_reminder_minutes": 30}))
    browse(state, clock, at(2026, 1, 15, 15, 25))
    assert not state.status("user:kid", clock.now())["rest_due"]
    browse(state, clock, at(2026, 1, 15, 15, 30))
    assert state.status("user:kid", clock.now())["rest_due"]
    state.rest_shown("user:kid", clock.now())
    assert not state.status("user:kid", clock.now())["rest_due"]
    clock.set(at(2026, 1, 15, 16, 30))  # an hour away: the session ended
    assert not state.status("user:kid", clock.now())["rest_due"]


async def test_a_grant_raises_the_budget_and_opens_the_curfew_for_its_minutes(store):
    clock = ManualClock("Europe/Berlin", at(2026, 1, 15, 22, 30))
    limits = parse_limits({"daily_minutes": 60, "curfew": {"from": "22:00", "to": "06:00"}})
    state = minors(store, clock, limits)
    assert state.status("user:kid", clock.now())["reason"] == "curfew"
    await state.grant("user:kid", 20, clock.now())
    status = state.status("user:kid", clock.now())
    assert not status["blocked"] and status["remaining_minutes"] == 80
    clock.advance(20 * 60)
    assert state.status("user:kid", clock.now())["reason"] == "curfew"
