"""Marks reach every item's visible text (issue 19, item 2), in the platform's own markup.

With a profile that prefixes every item (`mark: {title_prefix: all}`), the rewritten body of
every fixture case (and of every corpus capture) carries the prefix at the start of every kept
item's visible text, and differs from the original only there and in the indexes that point
into that text (tests/marks_support.py). Items that cannot carry a mark are listed below with
the reason, so that a change in what gets marked shows up here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine
from tests import corpus_support as corpus
from tests import marks_support as marks

CASES, _ = fixtures.discover(paths.platforms_dir())

# case -> {reason: items}: kept items whose visible text carries no mark. NO_TEXT: the data
# shows no text for them (an empty title, a post of only media); other reasons are the
# adapters' own `mark: {none: …}`.
NO_TEXT = marks.NO_TEXT
TAG = "a hashtag's name is its identifier: clients open /tags/NAME with it"
HOT = "a hot word is also the search the client runs when it is opened"
SHORTS = "a Shorts queue entry is only a video id: its title comes with the player"
UNMARKED: dict[str, dict[str, int]] = {
    # a live recommendation: its title is inside live_rcmd.content, a JSON string
    "bilibili/dynamic-feed-all": {NO_TEXT: 1},
    "douyin/hot-search": {HOT: 5},
    "mastodon/search": {NO_TEXT: 2},  # the two hashtag results (their names are identifiers)
    "mastodon/trends-tags": {TAG: 2},
    "xiaohongshu/hot-list": {HOT: 4},
    "youtube/shorts-html": {SHORTS: 4},
    "youtube/shorts-sequence": {SHORTS: 5},
    "xiaohongshu/hot-list-app": {HOT: 4},
    # hot_search_queries show `query`, which the client may also search with (real_query is
    # not always there); only top_search's display_query is words shown and nothing else
    "zhihu/hot-search-queries": {NO_TEXT: 3},
}


@pytest.fixture(scope="module")
def engines(shipped_adapters):
    return Engine(shipped_adapters), Engine(shipped_adapters, marks.PROFILE)


def _endpoint(adapters, platform: str, name: str):
    return next(e for e in adapters.endpoints if e.platform == platform and e.name == name)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.platform}/{c.name}" for c in CASES])
def test_prefix_all_marks_every_kept_item_and_nothing_else(shipped_adapters, engines, case):
    plain, marking = engines
    original, _ = fixtures.run(plain, case)
    outcome, _ = fixtures.run(marking, case)
    assert outcome.error is None and outcome.endpoint == original.endpoint
    assert [i.id for i in outcome.items] == [i.id for i in original.items]
    endpoint = _endpoint(shipped_adapters, case.platform, outcome.endpoint)
    text = case.body_path().read_bytes().decode("utf-8")
    rewritten = outcome.body.decode("utf-8") if outcome.changed else None
    report = marks.check(endpoint, original.items, text, rewritten)
    assert report.failures == []
    assert dict(report.unmarked) == UNMARKED.get(f"{case.platform}/{case.name}", {})
    assert report.marked + sum(report.unmarked.values()) == len(original.items)
    if outcome.changed:  # a second pass (a page cached and served again) adds nothing
        again = marking.process(case.request(marking), outcome.body, case.content_type(), endpoint)
        assert not again.changed and len(again.items) == len(original.items)


def test_unmarked_table_names_real_cases():
    names = {f"{c.platform}/{c.name}" for c in CASES}
    assert set(UNMARKED) <= names


def test_every_item_shape_names_its_visible_text(shipped_adapters):
    """Each endpoint and each items.find shape has a writable mark target, or says why not."""
    missing = []
    for endpoint in shipped_adapters.endpoints:
        for key, shape in (endpoint.find or {"": endpoint.shape}).items():
            if not shape.marks and not shape.unmarked:
                missing.append(f"{endpoint.key} {key}".strip())
    assert missing == []


def test_every_platform_is_marked(shipped_adapters, engines):
    """All ten platforms: each has fixture pages whose items the prefix-all profile marks."""
    marked = Counter()
    for case in CASES:
        outcome, _ = fixtures.run(engines[1], case)
        marked[case.platform] += len(outcome.items) if outcome.changed else 0
    assert {p for p, n in marked.items() if n} == {a.platform for a in shipped_adapters.adapters}
    assert len(marked) >= 10


# -- real captures (../shared/corpus): facets, entity indices, HTML as platforms send them ------

CORPUS_EXPECTED = corpus.expectations() if corpus.corpus_dir().is_dir() else {}


@pytest.mark.skipif(not corpus.corpus_dir().is_dir(), reason=f"no corpus at {corpus.corpus_dir()}")
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_prefix_all_on_real_captures(shipped_adapters, engines, name):
    plain, marking = engines
    capture = corpus.load(name, CORPUS_EXPECTED[name])
    original = plain.process(capture.request(), capture.body, capture.content_type)
    outcome = marking.process(capture.request(), capture.body, capture.content_type)
    endpoint = _endpoint(shipped_adapters, original.platform, original.endpoint)
    report = marks.check(endpoint, original.items, capture.body.decode("utf-8"),
                         outcome.body.decode("utf-8") if outcome.changed else None)
    assert report.failures == []
    assert report.marked + sum(report.unmarked.values()) == len(original.items)
    assert report.unmarked[marks.NO_TEXT] <= len(original.items) // 4, report.unmarked
