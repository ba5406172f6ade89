"""The engine on real captured responses (../shared/corpus), against tests/corpus_expected.yaml.

The expectations were decided by reading each capture (see the comments in the YAML), not by
running the engine. The corpus is not part of the project; this test reads it where it is
(FEEDLENS_CORPUS overrides), skips with a reason when it is absent, and must run in CI.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from tests import corpus_support as corpus
from feedlens.engine import Engine

CORPUS = corpus.corpus_dir()
EXPECTED = corpus.expectations()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

if not CORPUS.is_dir():
    if IN_CI:
        raise RuntimeError(f"the corpus is required in CI but {CORPUS} does not exist")
    pytest.skip(f"no corpus at {CORPUS} (set FEEDLENS_CORPUS to its folder)", allow_module_level=True)


def test_every_corpus_file_has_an_expectation():
    on_disk = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.json"))
    assert sorted(EXPECTED) == on_disk


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(shipped_adapters, name):
    spec = EXPECTED[name]
    capture = corpus.load(name, spec, CORPUS)
    outcome = Engine(shipped_adapters).process(capture.request(), capture.body, capture.content_type)
    assert outcome.error is None
    assert outcome.endpoint is not None, outcome.reason
    assert len(outcome.items) == spec["count"]
    assert outcome.counts() == spec["provenance"]
    assert dict(Counter(i.format for i in outcome.items)) == spec["format"]
    assert dict(Counter(i.relation for i in outcome.items)) == spec["relation"]
    assert all(item.id for item in outcome.items), [i.position for i in outcome.items if not i.id]


def test_wrap_builds_nested_lists():
    assert corpus.wrap({"x": 1}, "data.home.instructions[].entries[]") == {
        "data": {"home": {"instructions": [{"entries": [{"x": 1}]}]}}}
    assert corpus.wrap([1], "data") == {"data": [1]}
    assert corpus.wrap([1], None) == [1]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_rewritten_fast_means_what_json_wrote(shipped_adapters, name, monkeypatch):
    """The fast JSON path (feedlens.fastjson) on real bodies: the same items and a body that
    parses to the same structure (key order, ints and floats) as the json module's."""
    from datetime import datetime

    from feedlens import fastjson
    from tests.test_fastjson import REWRITE, typed

    capture = corpus.load(name, EXPECTED[name], CORPUS)
    engine = Engine(shipped_adapters, REWRITE, clock=lambda: datetime(2026, 11, 22, 12, 0))
    fast = engine.process(capture.request(), capture.body, capture.content_type)
    monkeypatch.setattr(fastjson, "may_hold_big_int", lambda raw: True)  # json reads and writes
    slow = engine.process(capture.request(), capture.body, capture.content_type)
    assert fast.error is None and fast.changed and slow.changed  # every title prefixed: rewritten
    assert [i.to_dict() for i in fast.items] == [i.to_dict() for i in slow.items]
    assert typed(fast.body) == typed(slow.body)
