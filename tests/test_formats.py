"""Format and relation (docs/format.md): the two closed vocabularies, how adapters declare them,
and profile rules on them. The shipped adapters' fixtures: tests/test_format_fixtures.py."""

from __future__ import annotations

from datetime import datetime

import pytest

from feedlens import features
from feedlens.adapters import AdapterError, compile_adapter
from feedlens.conditions import compile_condition
from feedlens.engine import Engine, Request
from feedlens.adapters import AdapterSet
from feedlens.item_format import FORMATS, RELATIONS, to_seconds
from feedlens.model import Item
from feedlens.profiles import MARK_ONLY, ProfileError, load_profile_text
from feedlens.yamlsrc import parse

features.install()

ADAPTER = """
title: t
platform: t
version: 1
expires: 1 day
homepage: https://example.org
licence: GPL-3.0-or-later
format: {unknown: "the t timeline does not say"}
relation: original
endpoints:
  - name: feed
    match: {host: t.test, path: /feed}
    surface: home
    items: {find: {clip: {fields: {id: id}, format: short_video},
                   post: {fields: {id: id, duration_ms: ms},
                          relation: [{when: "quoted != null", is: quote}, {default: original}]},
                   other: {fields: {id: id}}}}
    format:
      - {when: "live == `true`", is: live}
      - {default: video}
    provenance: [{default: personalized}]
"""


def _engine(text: str = ADAPTER) -> Engine:
    return Engine(AdapterSet.of([compile_adapter(parse(text, "t.yaml"))]), MARK_ONLY)


def _items(body: bytes):
    return _engine().process(Request("GET", "https://t.test/feed"), body, "application/json").items


def test_find_entry_then_endpoint_then_adapter_declarations():
    items = _items(b'{"a": [{"clip": {"id": "c1"}}, {"post": {"id": "p1", "quoted": {}, "ms": 61500}},'
                   b' {"post": {"id": "p2", "live": true}}, {"other": {"id": "o1"}}]}')
    got = [(i.id, i.format, i.relation, i.duration_s) for i in items]
    assert got == [("c1", "short_video", "original", None), ("p1", "video", "quote", 61),
                   ("p2", "live", "original", None), ("o1", "video", "original", None)]
    assert items[1].relation_why == "quoted != null" and items[2].format_why == "live == `true`"


def test_unknown_carries_its_reason():
    text = ADAPTER.replace("    format:\n      - {when: \"live == `true`\", is: live}\n      - {default: video}\n", "")
    items = _engine(text).process(Request("GET", "https://t.test/feed"), b'{"a": [{"other": {"id": "o"}}]}',
                                  "application/json").items
    assert (items[0].format, items[0].format_why) == ("unknown", "the t timeline does not say")


@pytest.mark.parametrize("change, message", [
    ("      - {default: video}\n", "      - {default: vidoe}\n", ),
])
def test_bad_format_value_suggests(change, message):
    with pytest.raises(AdapterError) as error:
        compile_adapter(parse(ADAPTER.replace(change, message), "t.yaml"))
    assert "did you mean 'video'?" in str(error.value)


@pytest.mark.parametrize("replacement, wanted", [
    ("      - {default: unknown}\n", "format unknown needs `why`"),
    ("      - {when: \"x\", is: text}\n", "the last format rule must be a default"),
    ("      - {default: video}\n      - {when: \"x\", is: text}\n", "a default format must be the last rule"),
])
def test_rules_the_schema_cannot_check(replacement, wanted):
    text = ADAPTER.replace("      - {default: video}\n", replacement)
    with pytest.raises(AdapterError) as error:
        compile_adapter(parse(text, "t.yaml"))
    assert wanted in str(error.value)


def test_compiled_shipped_adapters_only_name_vocabulary_values():
    from feedlens import paths
    from feedlens.adapters import load_adapters
    adapters = load_adapters([paths.platforms_dir(None)])
    assert not adapters.errors
    for endpoint in adapters.endpoints:
        for shape in [endpoint.shape, *endpoint.find.values()]:
            assert {r.value for r in shape.format.rules} <= set(FORMATS), endpoint.key
            assert {r.value for r in shape.relation.rules} <= set(RELATIONS), endpoint.key


def _item(**values) -> Item:
    return Item(platform="t", endpoint="e", surface="home", position=0, id="1", kind="post", **values)


NOW = datetime(2026, 1, 1, 12)


def test_profile_conditions_on_format_relation_and_duration():
    short = compile_condition({"format": "short_video", "not": {"author": ["chan1"]}})
    assert short(_item(format="short_video", author="chan2"), NOW)
    assert not short(_item(format="short_video", author="chan1"), NOW)
    assert not short(_item(format="video", author="chan2"), NOW)
    originals = compile_condition({"relation": ["repost", "reply", "quote"]})
    assert originals(_item(relation="reply"), NOW) and not originals(_item(relation="original"), NOW)
    brief = compile_condition({"duration_s": {"max": 60}})
    assert brief(_item(duration_s=60), NOW) and not brief(_item(duration_s=61), NOW)
    assert not brief(_item(duration_s=None), NOW)  # no duration given: never a match
    long = compile_condition({"duration_s": {"min": 600}})
    assert long(_item(duration_s=601), NOW) and not long(_item(duration_s=5), NOW)


def test_profile_with_a_misspelt_format_says_what_was_meant():
    with pytest.raises(ProfileError) as error:
        load_profile_text("title: t\nversion: 1\nrules:\n  - {id: a, when: {format: short_vid}, action: hide}\n",
                          "p.yaml")
    assert "p.yaml:4:" in str(error.value) and "did you mean 'short_video'?" in str(error.value)


def test_profile_inline_cases_take_format_and_relation():
    profile = load_profile_text(
        "title: t\nversion: 1\nrules:\n"
        "  - id: no-shorts\n    when: {format: short_video}\n    action: hide\n"
        "    cases: {match: [{format: short_video}], no_match: [{format: video}, {relation: repost}]}\n",
        "p.yaml")
    from feedlens.profiles import check_cases
    assert check_cases(profile) == []


@pytest.mark.parametrize("value, unit, seconds", [
    (42, "s", 42), (61500, "ms", 61), ("3:45", "s", 225), ("1:02:03", "s", 3723), ("03:05", "s", 185),
    ("95", "s", 95), ("12.7", "s", 12), (None, "s", None), ("live", "s", None), (True, "s", None),
])
def test_durations(value, unit, seconds):
    assert to_seconds(value, unit) == seconds


def test_the_library_api_gives_format_and_relation(tmp_path):
    import shutil
    from pathlib import Path

    import feedlens.api

    data = Path(__file__).parent / "data"
    (tmp_path / "platforms").mkdir()
    shutil.copy(data / "demo.yaml", tmp_path / "platforms" / "demo.yaml")
    outcome = feedlens.api.classify("https://api.demo.test/feed/home", (data / "demo_home.json").read_bytes(),
                                    rules=str(tmp_path))
    assert [(i.id, i.format, i.relation, i.duration_s) for i in outcome.items][2:] == [
        ("v3", "short_video", "original", 42), ("v4", "video", "original", None), ("v5", "video", "repost", 95)]
    assert outcome.items[4].to_dict()["relation_why"] == "forward_of != null"


RECALL = ADAPTER.replace("    format:\n      - {when: \"live == `true`\", is: live}\n      - {default: video}\n",
                         "    format:\n      - {when: \"live == `true`\", is: live}\n"
                         "      - {when: \"w > h\", is: video}\n      - {when: \"h > w\", is: short_video}\n"
                         "      - {default: unknown, why: no size here, recall: true}\n")


def test_an_unknown_format_may_take_what_the_same_item_was_elsewhere():
    engine = _engine(RECALL)

    def formats(body: bytes):
        items = engine.process(Request("GET", "https://t.test/feed"), body, "application/json").items
        return [(i.id, i.format, i.format_why) for i in items]
    assert formats(b'{"a": [{"post": {"id": "s1"}}]}') == [("s1", "unknown", "no size here")]
    formats(b'{"a": [{"post": {"id": "s1", "w": 9, "h": 16}}, {"post": {"id": "v1", "w": 16, "h": 9}}]}')
    assert formats(b'{"a": [{"post": {"id": "s1"}}, {"post": {"id": "v1"}}, {"post": {"id": "n1"}}]}') == [
        ("s1", "short_video", "seen as short_video on home: h > w"),
        ("v1", "video", "seen as video on home: w > h"), ("n1", "unknown", "no size here")]


def test_recall_is_only_for_an_unknown_format():
    text = RECALL.replace("{when: \"h > w\", is: short_video}", "{when: \"h > w\", is: short_video, recall: true}")
    with pytest.raises(AdapterError) as error:
        compile_adapter(parse(text, "t.yaml"))
    assert "`recall` is for an unknown format" in str(error.value)


def test_the_memory_keeps_the_latest_items():
    from feedlens.item_format import FormatMemory, Seen
    memory = FormatMemory(capacity=2)
    for n in range(3):
        memory.remember("t", str(n), Seen("video", "home", "w > h"))
    assert len(memory) == 2 and memory.recall("t", "0") is None and memory.recall("t", "2").format == "video"
