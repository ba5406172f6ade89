"""X counts one item per card: each tweet of a conversation module and each account of a "Who to
follow" module is an item of its own (provenance.md, "Counting"). Hiding such items rewrites the
module, and a module whose items are all hidden goes with them (items.remove_emptied), so X's
client never gets an empty module; cursors, headers and other instructions stay."""

from __future__ import annotations

import json

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine
from feedlens.profiles import compile_profile
from feedlens.yamlsrc import parse

FIXTURES = paths.bundled_rules_dir() / "platforms" / "x.fixtures"


def case(name: str) -> fixtures.Case:
    cases, _ = fixtures.discover(FIXTURES.parent)
    return next(c for c in cases if c.platform == "x" and c.name == name)


def hide(adapters, name: str, when: str):
    profile = compile_profile(parse(f"title: t\nversion: 1\nrules:\n - {{id: h, when: {when}, action: hide}}\n",
                                    "test-profile.yaml"))
    fixture = case(name)
    outcome = Engine(adapters, profile).process(fixture.request(), fixture.body_path().read_bytes())
    assert outcome.error is None
    return outcome, json.loads(outcome.body) if outcome.changed else None


def entries(doc, *path) -> list:
    node = doc
    for key in path:
        node = node[key]
    return node


HOME = ("data", "home", "home_timeline_urt", "instructions")
DETAIL = ("data", "threaded_conversation_with_injections_v2", "instructions")


def ids(entry_list) -> list[str]:
    return [e["entryId"] for e in entry_list]


@pytest.fixture(scope="module")
def adapters(shipped_adapters):
    return shipped_adapters


def test_each_tweet_of_a_home_conversation_module_is_an_item_in_display_order(adapters):
    outcome, _ = hide(adapters, "home", "{author: nobody}")
    assert [(i.id, i.author) for i in outcome.items[4:7]] == [
        ("1991420017623543808", "junoparks"), ("1991441152690438144", "hana_reads"),
        ("1991446630119657472", "mara_codes")]
    assert [i.position for i in outcome.items] == list(range(10))


def test_hiding_one_tweet_of_a_module_keeps_the_module_with_the_others(adapters):
    outcome, doc = hide(adapters, "home", "{author: mara_codes}")
    assert [i.id for i in outcome.items if i.decision == "hide"] == ["1991530101223358721", "1991446630119657472"]
    instructions = entries(doc, *HOME)
    listed = ids(instructions[0]["entries"])
    assert "tweet-1991530101223358721" not in listed
    module = next(e for e in instructions[0]["entries"] if e["entryId"].startswith("homeConversation-"))
    assert ids(module["content"]["items"]) == [
        "homeConversation-1991530984475385852-0-tweet-1991420017623543808",
        "homeConversation-1991530984475385852-1-tweet-1991441152690438144"]
    assert module["content"]["clientEventInfo"]["component"] == "suggest_ranked_organic_tweet"
    assert [i["type"] for i in instructions] == ["TimelineAddEntries", "TimelineShowAlert"]


def test_a_module_whose_tweets_are_all_hidden_is_removed_and_the_rest_stays(adapters):
    outcome, doc = hide(adapters, "home", "{author: [junoparks, hana_reads, mara_codes]}")
    listed = ids(entries(doc, *HOME)[0]["entries"])
    assert not [e for e in listed if e.startswith("homeConversation-")]
    assert listed == ["promoted-tweet-1988002214003851265-4f2a9c7d1e6b0a35", "tweet-1991501876543201280",
                      "tweet-1991377702155505664", "who-to-follow-1991530984475385851",
                      "tweet-1991300418207981568", "cursor-top-1991530984475385857",
                      "cursor-bottom-1991530984475385849"]


def test_hiding_every_suggested_account_removes_the_who_to_follow_block_with_its_header(adapters):
    outcome, doc = hide(adapters, "home", "{kind: user-recommendation}")
    assert sum(i.decision == "hide" for i in outcome.items) == 2
    listed = ids(entries(doc, *HOME)[0]["entries"])
    assert not [e for e in listed if e.startswith("who-to-follow-")]
    assert len(listed) == 9 - 1  # 9 entries, the who-to-follow module gone


def test_a_reply_module_keeps_its_show_more_cursor_unless_its_replies_are_all_hidden(adapters):
    _, doc = hide(adapters, "tweet_detail", "{author: quillandink}")
    listed = entries(doc, *DETAIL)[0]["entries"]
    # the focal tweet went; mara_codes' thread keeps her reply without quillandink's answer
    assert "tweet-1991377702155505664" not in ids(listed)
    thread = next(e for e in listed if e["entryId"] == "conversationthread-1991390121877024768")
    assert ids(thread["content"]["items"]) == ["conversationthread-1991390121877024768-tweet-1991390121877024768"]
    _, doc = hide(adapters, "tweet_detail", "{author: hana_reads}")
    listed = ids(entries(doc, *DETAIL)[0]["entries"])
    # hana_reads' thread held her reply and a show-more cursor: the whole module goes
    assert "conversationthread-1991402288541982720" not in listed
    assert listed[-1] == "cursor-bottom-7529041110238212091"


def test_a_pinned_tweet_and_a_grid_tweet_are_removed_where_they_sit(adapters):
    _, doc = hide(adapters, "profile", "{keywords: [Pinned]}")
    assert doc is None  # nothing matched: the body is passed as it came
    outcome, doc = hide(adapters, "profile", "{provenance: followed}")
    assert sum(i.decision == "hide" for i in outcome.items) == 5
    instructions = entries(doc, "data", "user", "result", "timeline", "timeline", "instructions")
    assert [i["type"] for i in instructions] == ["TimelineClearCache", "TimelineAddEntries"]
    assert ids(instructions[1]["entries"]) == ["who-to-follow-1991540000000000005",
                                               "cursor-top-1991540000000000009",
                                               "cursor-bottom-1991479555126321151"]
    outcome, doc = hide(adapters, "profile_media_page2", "{author: ridgeline_wx}")
    instructions = entries(doc, "data", "user", "result", "timeline_v2", "timeline", "instructions")
    # every item of the page was hidden: the emptied TimelineAddToModule keeps only the one
    # placeholder card (docs/adapters.md, "Placeholder") so the grid goes on paging
    assert all(i.decision == "hide" for i in outcome.items) and outcome.placeholders == 1
    assert [i["type"] for i in instructions] == ["TimelineAddToModule", "TimelineAddEntries"]
    (card,) = instructions[0]["moduleItems"]
    assert card["item"]["itemContent"]["tweet_results"]["result"]["legacy"]["full_text"].startswith("feedlens hid")


def test_placeholders_and_show_more_cursors_inside_a_module_are_not_items(adapters):
    fixture = case("home")
    doc = json.loads(fixture.body_path().read_bytes())
    module = next(e for e in entries(doc, *HOME)[0]["entries"] if e["entryId"].startswith("homeConversation-"))
    module["content"]["items"][1:1] = [
        {"entryId": "homeConversation-1-tombstone", "item": {"itemContent": {
            "itemType": "TimelineTweet", "__typename": "TimelineTweet",
            "tweet_results": {"result": {"__typename": "TweetTombstone",
                                         "tombstone": {"text": {"text": "This Post was deleted by the Post author."}}}}}}},
        {"entryId": "homeConversation-1-unavailable", "item": {"itemContent": {
            "itemType": "TimelineTweet", "__typename": "TimelineTweet", "tweet_results": {}}}},
        {"entryId": "homeConversation-1-cursor-showmore-1", "item": {"itemContent": {
            "itemType": "TimelineTimelineCursor", "__typename": "TimelineTimelineCursor",
            "value": "SHOWMORE", "cursorType": "ShowMore"}}}]
    outcome = Engine(adapters).process(fixture.request(), json.dumps(doc).encode())
    assert len(outcome.items) == 10 and all(i.id for i in outcome.items)
