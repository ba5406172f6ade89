"""A page the rules emptied keeps one placeholder card, so the platform's client keeps paging
(issue 19); nothing of the hidden items that a person would see is in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.engine import Engine, Request
from feedlens.placeholder import MESSAGES
from feedlens.profiles import compile_profile
from feedlens.yamlsrc import parse

PLATFORMS = paths.bundled_rules_dir() / "platforms"
HIDE_ALL = compile_profile(parse("title: t\nversion: 1\nrules:\n  - {id: all, action: hide}\n", "all.yaml"))
HIDE_ADS = compile_profile(parse(
    "title: t\nversion: 1\nrules:\n  - {id: ads, when: {provenance: promoted}, action: hide}\n", "ads.yaml"))
BEST = "https://www.reddit.com/best.json?limit=5"
FOLLOWING = "https://x.com/i/api/graphql/BKB7oi212Fi7kQtCBGE4zA/HomeLatestTimeline"
NOTE = MESSAGES["en"].split("{")[0]


@pytest.fixture(scope="module")
def hide_all(shipped_adapters) -> Engine:
    return Engine(shipped_adapters, HIDE_ALL)


def body(platform: str, name: str) -> bytes:
    return (PLATFORMS / f"{platform}.fixtures" / name).read_bytes()


def visible_strings(doc, keys=("title", "selftext", "url", "thumbnail", "full_text", "name", "screen_name")):
    """The strings a person would see of each item (by key name), anywhere in the body."""
    found = set()
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in keys and isinstance(value, str) and len(value) > 3:
                found.add(value)
            found |= visible_strings(value, keys)
    elif isinstance(doc, list):
        for value in doc:
            found |= visible_strings(value, keys)
    return found


def test_an_emptied_reddit_page_keeps_one_card_and_its_cursor(hide_all):
    original = json.loads(body("reddit", "best.json"))
    outcome = hide_all.process(Request("GET", BEST), body("reddit", "best.json"), "application/json")
    rewritten = json.loads(outcome.body)
    children = rewritten["data"]["children"]
    assert outcome.placeholders == 1 and len(children) == 1
    assert children[0]["data"]["title"].startswith(NOTE) and "5 items" in children[0]["data"]["title"]
    assert rewritten["data"]["after"] == original["data"]["after"]
    card = json.dumps(children[0])
    seen = ("title", "selftext", "url", "thumbnail", "author")
    leaked = [s for s in visible_strings(original["data"]["children"], seen) if s in card]
    assert leaked == [] and "preview" not in children[0]["data"]
    hidden_ids = {c["data"]["name"] for c in original["data"]["children"]}
    assert children[0]["data"]["name"] not in hidden_ids  # a made-up id: the hidden one would open it
    assert children[0]["data"]["id"] not in {name.removeprefix("t3_") for name in hidden_ids}


def test_a_page_with_a_card_already_gets_no_second_one(hide_all):
    first = hide_all.process(Request("GET", BEST), body("reddit", "best.json"), "application/json")
    again = hide_all.process(Request("GET", BEST), first.body, "application/json")
    assert again.items == [] and again.placeholders == 0 and not again.changed


def test_the_last_page_gets_no_card(hide_all):
    last = json.loads(body("reddit", "best.json"))
    last["data"]["after"] = None
    outcome = hide_all.process(Request("GET", BEST), json.dumps(last).encode(), "application/json")
    assert outcome.placeholders == 0 and json.loads(outcome.body)["data"]["children"] == []


def test_a_page_with_items_left_gets_no_card(shipped_adapters):
    outcome = Engine(shipped_adapters, HIDE_ADS).process(Request("GET", BEST), body("reddit", "best.json"),
                                                         "application/json")
    titles = [c["data"]["title"] for c in json.loads(outcome.body)["data"]["children"]]
    assert outcome.placeholders == 0 and len(titles) == 4 and not any(t.startswith(NOTE) for t in titles)


def test_an_emptied_x_timeline_keeps_one_tweet_card_between_its_cursors(hide_all):
    original = json.loads(body("x", "following.json"))
    outcome = hide_all.process(Request("GET", FOLLOWING), body("x", "following.json"), "application/json")
    entries = json.loads(outcome.body)["data"]["home"]["home_timeline_urt"]["instructions"][0]["entries"]
    cursors = [e["entryId"] for e in original["data"]["home"]["home_timeline_urt"]["instructions"][0]["entries"]
               if e["entryId"].startswith("cursor-")]
    assert [e["entryId"] for e in entries][1:] == cursors
    tweet = entries[0]["content"]["itemContent"]["tweet_results"]["result"]
    assert tweet["legacy"]["full_text"].startswith(NOTE)
    user = tweet["core"]["user_results"]["result"]
    assert (user.get("core") or user["legacy"])["screen_name"] == "feedlens"
    card = json.dumps(entries[0])
    hidden = visible_strings(original["data"]["home"]["home_timeline_urt"]["instructions"][0]["entries"])
    assert [s for s in hidden if s in card and s != "feedlens"] == []
    assert "extended_entities" not in card and "retweeted_status_result" not in card
    assert tweet["rest_id"].isdigit() and f'"{tweet["rest_id"]}"' not in json.dumps(original)


def test_no_card_when_the_spec_cannot_replace_the_items_text():
    from feedlens.adapters import AdapterSet, compile_adapter
    text = (Path(__file__).parent / "data" / "pages.yaml").read_text() + (
        "placeholder:\n  set: {caption: '{message}'}\n")  # the items have no caption
    engine = Engine(AdapterSet.of([compile_adapter(parse(text, "pages.yaml"))]), HIDE_ALL)
    request = Request("POST", "https://api.pages.test/browse", b'{"tab": "home"}', "application/json")
    outcome = engine.process(request, b'{"items": [{"vid": "a", "by": "7"}], "next": "N"}', "application/json")
    assert outcome.placeholders == 0 and json.loads(outcome.body)["items"] == []


def test_an_emptied_x_module_keeps_one_card_holding_one_trend(hide_all):
    """A module (here Explore's trends module) loses its hidden items before the card is made:
    the card is copied from the module as it was, with that one trend in it."""
    url = ("https://x.com/i/api/graphql/uGSr7alSjR9v6QJAIaqSKQ/GenericTimelineById?variables="
           "%7B%22timelineId%22%3A%22VGltZWxpbmU6DAC2CwABAAAACHRyZW5kaW5nAAA%3D%22%2C%22count%22%3A20%7D")
    outcome = hide_all.process(Request("GET", url), body("x", "trends.json"), "application/json")
    entries = json.loads(outcome.body)["data"]["timeline"]["timeline"]["instructions"][2]["entries"]
    assert outcome.placeholders == 1
    assert [e["entryId"] for e in entries] == ["frame-ExploreHeaderEntryPoint", "trends-1991545000000000008",
                                               "cursor-top-1991545000000000010", "cursor-bottom-1991545000000000006"]
    (item,) = entries[1]["content"]["items"]
    assert item["item"]["itemContent"]["name"].startswith(NOTE)


def test_a_feed_the_minors_gate_closes_gets_no_card(shipped_adapters):
    """A curfew or a spent budget empties the page to end the feed: no card asks to scroll on."""
    from feedlens.minors.gate import gated_profile
    engine = Engine(shipped_adapters, gated_profile(HIDE_ADS, hide_all=True))
    outcome = engine.process(Request("GET", BEST), body("reddit", "best.json"), "application/json")
    assert outcome.placeholders == 0 and json.loads(outcome.body)["data"]["children"] == []


def test_a_chinese_card_is_recognised_in_an_ascii_escaped_body_too(hide_all):
    url = "https://api.bilibili.com/x/web-interface/wbi/index/top/feed/rcmd?ps=12"
    first = hide_all.process(Request("GET", url), body("bilibili", "web-home-recommend.json"), "application/json")
    assert first.placeholders == 1 and MESSAGES["zh"].split("{")[0] in first.body.decode()
    escaped = json.dumps(json.loads(first.body), ensure_ascii=True).encode()
    again = hide_all.process(Request("GET", url), escaped, "application/json")
    assert again.items == [] and again.placeholders == 0
