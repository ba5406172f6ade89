"""The choice markers on real captured responses (../shared/corpus), not only on our fixtures:
X's home ranking injection (clientEventInfo.component suggest_ranked_organic_tweet) put into a
Following page is read as the marker's "ranked"; the same page without it gives no reading.
Skips without the corpus, except in CI."""

from __future__ import annotations

import copy
import json
import os

import pytest

from feedlens.adapters import load_adapters
from feedlens.choice import ChoiceBook
from feedlens.paths import bundled_rules_dir
from tests import corpus_support as corpus

CORPUS = corpus.corpus_dir()
if not CORPUS.is_dir():
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"the corpus is required in CI but {CORPUS} does not exist")
    pytest.skip(f"no corpus at {CORPUS}", allow_module_level=True)

FOLLOWING = ("GET", "x.com", "/i/api/graphql/BKB7oi212Fi7kQtCBGE4zA/HomeLatestTimeline")


@pytest.fixture(scope="module")
def book() -> ChoiceBook:
    return ChoiceBook.of(load_adapters([bundled_rules_dir() / "platforms"]).adapters)


def following_page(entries: list) -> dict:
    return {"data": {"home": {"home_timeline_urt": {"instructions": [
        {"type": "TimelineAddEntries", "entries": entries}]}}}}


def response_readings(book: ChoiceBook, route: tuple, doc) -> list[tuple]:
    method, host, path = route
    _, waiting = ChoiceBook.on_request(book.route(method, host, path), {
        "method": method, "host": host, "path": path, "query": "", "body": None, "headers": {}})
    found = ChoiceBook.on_response(waiting, doc, {"method": method, "host": host, "path": path})
    return [(o.rule, o.kind, o.sure, o.state, o.evidence.get("value")) for o in found]


def test_a_captured_ranked_module_in_following_is_a_suspected_marker(book):
    module = json.loads((CORPUS / "twitter" / "twitterapiclient_home_conversation_entry_RankedOrganicTweet.json").read_text())
    assert response_readings(book, FOLLOWING, following_page([module])) == [
        ("following-ranked-injection", "marker", "suspected", "personalised", "ranked")]


def test_following_without_the_injection_gives_no_reading(book):
    module = json.loads((CORPUS / "twitter" / "twitterapiclient_home_conversation_entry_RankedOrganicTweet.json").read_text())
    plain = copy.deepcopy(module)
    plain["content"].pop("clientEventInfo", None)
    for item in plain["content"]["items"]:
        item["item"].pop("clientEventInfo", None)
    assert response_readings(book, FOLLOWING, following_page([plain])) == []
