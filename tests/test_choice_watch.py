"""The `choice:` sections read the switch from requests and responses (feedlens.choice), and
the watchdog's state machine (feedlens.choices.track) tells a revert from a user's change."""

from __future__ import annotations

import pytest

from feedlens.adapters import load_adapters
from feedlens.choice import ChoiceBook, Observation
from feedlens.choices.track import Track, step
from feedlens.features import install
from feedlens.paths import bundled_rules_dir

install()
BOOK = ChoiceBook.of(load_adapters([bundled_rules_dir() / "platforms"]).adapters)


def read(method, host, path, query="", body=None, headers=None, response=None):
    rules = BOOK.route(method, host, path)
    found, waiting = BOOK.on_request(rules, {"method": method, "host": host, "path": path,
                                             "query": query, "body": body, "headers": headers or {}})
    return found + BOOK.on_response(waiting, response, {"path": path})


def states(observations):
    return [(o.platform, o.kind, o.state) for o in observations]


def test_bilibili_flag_from_query_or_user_agent_counts_once():
    ua = {"user-agent": "Mozilla/5.0 BiliDroid/8.41.0 os/android disable_rcmd/1"}
    assert states(read("GET", "app.bilibili.com", "/x/v2/feed/index", "disable_rcmd=1", headers=ua)) == [
        ("bilibili", "flag", "not_personalised")]
    assert states(read("GET", "app.bilibili.com", "/x/v2/feed/index", "idx=1", headers=ua)) == [
        ("bilibili", "flag", "not_personalised")]
    assert states(read("GET", "app.bilibili.com", "/x/v2/feed/index", "disable_rcmd=0")) == [
        ("bilibili", "flag", "personalised")]
    assert read("GET", "app.bilibili.com", "/x/v2/feed/index", "idx=1") == []


def test_readbacks_and_writes():
    assert states(read("GET", "oauth.reddit.com", "/api/v1/me/prefs",
                       response={"feed_recommendations_enabled": False})) == [
        ("reddit", "readback", "not_personalised")]
    assert states(read("PATCH", "oauth.reddit.com", "/api/v1/me/prefs",
                       body={"feed_recommendations_enabled": True})) == [
        ("reddit", "setting_write", "personalised")]
    prefs = {"preferences": [{"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": [
        {"type": "feed", "value": "at://did:plc:x/app.bsky.feed.generator/whats-hot", "pinned": False},
        {"type": "timeline", "value": "following", "pinned": True}]}]}
    assert states(read("GET", "bsky.social", "/xrpc/app.bsky.actor.getPreferences", response=prefs)) == [
        ("bluesky", "readback", "not_personalised")]


def test_evidence_names_the_field_and_no_cookie():
    [observation] = read("GET", "app.bilibili.com", "/x/v2/feed/index", "disable_rcmd=0&access_key=SECRET",
                         headers={"cookie": "SESSDATA=SECRET"})
    assert observation.evidence["read"] == "query.disable_rcmd" and observation.evidence["value"] == "0"
    assert "SECRET" not in repr(observation)


def obs(state, kind="flag", sure="confirmed"):
    return Observation("bilibili", "personalised_recommendation", "r", kind, sure, state, {"v": state})


OFF, ON = "not_personalised", "personalised"


def run(sequence, restarted_at=()):
    track, reverts = Track(), []
    for index, observation in enumerate(sequence):
        revert = step(track, observation, float(index), index in restarted_at)
        if revert is not None:
            reverts.append((index, revert.sure, revert.reason))
    return reverts


@pytest.mark.parametrize("sequence", [
    [obs(OFF)] * 5,  # stays off
    [obs(ON)] * 3,  # never chosen: never armed
    [obs(OFF), obs(ON), obs(OFF), obs(ON), obs(OFF)],  # one-offs are not a run
    [obs(OFF), obs(None, "setting_write"), obs(ON), obs(ON)],  # the user turned it on
])
def test_no_false_alarm(sequence):
    assert run(sequence) == []


def test_two_in_a_row_is_a_revert_reported_once():
    assert run([obs(OFF), obs(ON), obs(ON), obs(ON), obs(OFF), obs(ON), obs(ON)]) == [
        (2, "confirmed", "two_in_a_row"), (6, "confirmed", "two_in_a_row")]


def test_first_after_restart_and_markers():
    assert run([obs(OFF), obs(ON)], restarted_at={1}) == [(1, "confirmed", "after_restart")]
    assert run([obs(OFF), obs(ON, "marker", "suspected"), obs(ON, "marker", "suspected")]) == [
        (1, "suspected", "marker")]
    marker = [obs(OFF, "marker", "suspected"), obs(ON, "marker", "suspected"), obs(ON, "marker", "suspected"),
              obs(OFF, "marker", "suspected"), obs(ON, "marker", "suspected")]
    assert run(marker) == [(1, "suspected", "marker"), (4, "suspected", "marker")]
    assert run([obs(ON, "marker", "suspected")] * 3) == []  # never armed
