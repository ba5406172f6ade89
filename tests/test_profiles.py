"""Preference rules: conditions, normalisation, safe regexes, expiry, inline cases."""

from __future__ import annotations

from datetime import datetime

import pytest

from feedlens import paths
from feedlens.model import Item, Provenance
from feedlens.profiles import ProfileError, case_item, check_cases, compile_profile, decide, load_profiles
from feedlens.yamlsrc import parse

NOON = datetime(2026, 11, 22, 12, 0)


def profile(text: str, name: str = "p.yaml"):
    return compile_profile(parse(text, name))


def item(**values) -> Item:
    return case_item(values)


def decisions(p, items, now=NOON):
    return [(d.action, d.rule) for d in decide(p, items, now)]


def one_rule(when: str, extra: str = "") -> object:
    return profile(f"title: t\nversion: 1\nrules:\n  - {{id: r, when: {when}, action: hide{extra}}}\n")


def test_shipped_profiles_load_and_their_cases_pass():
    profiles, errors = load_profiles(paths.profiles_dir())
    assert errors == []
    assert {"default", "chronological", "no-ads", "no-personalized"} <= set(profiles)
    for loaded in profiles.values():
        assert check_cases(loaded) == [], loaded.name


def test_failing_inline_case_is_reported_with_line():
    bad = profile("title: t\nversion: 1\nrules:\n  - id: ads\n    when: {provenance: promoted}\n    action: hide\n"
                  "    cases: {match: [{provenance: followed}]}\n", "bad.yaml")
    assert check_cases(bad) == ["bad.yaml:4: rule ads should match {'provenance': 'followed'}"]


@pytest.mark.parametrize("title, matches", [
    ("原神启动！", True),          # Chinese substring, no word boundary needed
    ("玩原神的日常", True),
    ("ＧＥＮＳＨＩＮ Impact", True),  # full-width and case fold through NFKC + casefold
    ("genshin impact", True),
    ("Genshi", False),
    ("崩坏", False),
])
def test_keywords_normalised_substring(title, matches):
    rule = one_rule("{keywords: [原神, Genshin]}")
    assert decisions(rule, [item(title=title)]) == [("hide", "r") if matches else ("keep", None)]


def test_keywords_also_search_text_and_parts():
    rule = one_rule("{keywords: [抽奖]}")
    assert decisions(rule, [item(title="x", text="转发抽奖")])[0][0] == "hide"
    assert decisions(rule, [item(title="x", parts=[{"text": "抽奖啦"}])])[0][0] == "hide"


def test_regex_is_linear_time_and_normalised():
    rule = one_rule("{regex: ['give ?aways?']}")
    assert decisions(rule, [item(title="HUGE GIVEAWAY")])[0][0] == "hide"
    assert decisions(rule, [item(title="give-away")])[0][0] == "keep"
    # A pattern that backtracks exponentially elsewhere finishes at once on RE2.
    evil = one_rule("{regex: ['(a+)+$']}")
    assert decisions(evil, [item(title="a" * 5000 + "!")])[0][0] == "keep"


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=x)y", "(?<!a)b"])
def test_regex_needing_backtracking_is_refused_with_message(pattern):
    with pytest.raises(ProfileError) as err:
        one_rule("{regex: ['%s']}" % pattern.replace("'", "''"))
    assert "p.yaml:4:" in str(err.value) and "RE2" in str(err.value)


def test_author_matches_id_or_name():
    rule = one_rule("{author: ['12345', 'Some Name']}")
    assert decisions(rule, [item(author_id="12345"), item(author="some name"), item(author="Other")]) == [
        ("hide", "r"), ("hide", "r"), ("keep", None)]


def test_first_match_wins_and_unless_exception():
    p = profile("""title: t
version: 1
rules:
  - {id: keep-followed, when: {provenance: followed}, action: keep}
  - {id: kw, when: {keywords: [spoiler]}, unless: {author: friend}, action: blur}
  - {id: all, action: hide}
""")
    items = [item(provenance="followed", title="spoiler"), item(title="spoiler", author="friend"),
             item(title="spoiler", author="stranger"), item(title="calm")]
    assert decisions(p, items) == [("keep", "keep-followed"), ("hide", "all"), ("blur", "kw"), ("hide", "all")]


def test_conditions_on_platform_surface_kind_labels_and_any_not():
    p = one_rule("{platform: bilibili, surface: [home, related], kind: video, labels: [ai-generated],"
                 " not: {any: [{provenance: followed}, {provenance: own}]}}")
    base = dict(platform="bilibili", surface="home", kind="video", labels=["ai-generated"])
    assert decisions(p, [item(**base)])[0][0] == "hide"
    assert decisions(p, [item(**{**base, "provenance": "own"})])[0][0] == "keep"
    assert decisions(p, [item(**{**base, "surface": "search"})])[0][0] == "keep"
    assert decisions(p, [item(**{**base, "labels": []})])[0][0] == "keep"


@pytest.mark.parametrize("hour, minute, inside", [(22, 0, True), (23, 59, True), (0, 0, True), (5, 59, True),
                                                  (6, 0, False), (12, 0, False), (21, 59, False)])
def test_time_of_day_across_midnight(hour, minute, inside):
    rule = one_rule("{time: '22:00-06:00'}")
    now = datetime(2026, 11, 22, hour, minute)
    assert decisions(rule, [item()], now)[0][0] == ("hide" if inside else "keep")


def test_expired_rules_are_ignored():
    rule = one_rule("{provenance: promoted}", ", expires: '2026-11-21'")
    assert decisions(rule, [item(provenance="promoted")], datetime(2026, 11, 21, 23, 0))[0][0] == "hide"
    assert decisions(rule, [item(provenance="promoted")], datetime(2026, 11, 22, 0, 1))[0][0] == "keep"


def test_limit_counts_per_response():
    p = profile("title: t\nversion: 1\nrules:\n  - {id: rec, when: {provenance: personalized}, action: limit, max: 1}\n")
    items = [item(provenance="personalized"), item(provenance="followed"), item(provenance="personalized")]
    assert decisions(p, items) == [("keep", "rec"), ("keep", None), ("hide", "rec")]
    assert decisions(p, items[:1]) == [("keep", "rec")]


@pytest.mark.parametrize("text, message", [
    ("title: t\nversion: 1\nrules:\n  - {id: x, action: explode}\n", "p.yaml:4: rules.0.action"),
    ("title: t\nversion: 1\nrules:\n  - {id: x, action: limit}\n", "p.yaml:4: action limit needs `max`"),
    ("title: t\nversion: 1\nrules:\n  - {id: x, action: hide}\n  - {id: x, action: keep}\n", "p.yaml:5: duplicate rule id"),
    ("title: t\nversion: 1\nrules:\n  - id: x\n    action: hide\n    when: {provenance: viral}\n", "p.yaml:6: rules.0.when.provenance"),
    ("title: t\nversion: 1\nrules:\n  - {id: x, action: hide, colour: red}\n", "p.yaml:4:"),
])
def test_invalid_profiles_give_file_and_line(text, message):
    with pytest.raises(ProfileError) as err:
        profile(text)
    assert message in str(err.value)


def test_case_item_defaults():
    made = case_item({"provenance": "promoted", "title": "x"})
    assert made.provenance is Provenance.PROMOTED and made.platform == "test" and made.title == "x"
