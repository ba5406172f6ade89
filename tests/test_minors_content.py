"""Content rules for minors: weighted phrase lists, the `phrases` condition, `warn`, allowlist
mode, and the four minors' presets with their inline cases."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.model import Item, Provenance
from feedlens.phrases import PhraseError, check_cases as check_phrase_cases, load_library, phrase_pattern
from feedlens.profiles import ProfileError, check_cases, decide, load_profile
from feedlens.minors.policy import limits_of

NOW = datetime(2026, 1, 15, 12, 0)
PRESETS = ["minor-under-8", "minor-8-12", "minor-12-16", "minor-16-18"]
SHIPPED = paths.rules_dir() / "phrases"

GORE = """\
title: Gore test list
category: cn.bad.gore_shock
version: 1
expires: 30 days
homepage: https://example.org
licence: GPL-3.0-or-later
names: {en: gore, zh: 血腥}
phrases:
  zh:
    血腥: 4
    碎尸: 8
    血腥玛丽: -4
  en:
    gore: 5
    decapitat*: 8
    bloody mary: -4
cases:
  - {title: "碎尸", min: 8}
"""

HABITS = """\
title: Habits test list
category: minors.bad_habits
version: 1
expires: 30 days
homepage: https://example.org
licence: GPL-3.0-or-later
phrases:
  zh: {抽烟: 4, 戒烟: -5}
  en: {vape: 5}
"""


def item(title=None, text=None, author=None, provenance="followed", **extra) -> Item:
    return Item(platform="demo", endpoint="home", surface="home", position=0, id="i", kind="video",
                provenance=Provenance(provenance), title=title, text=text, author=author, **extra)


@pytest.fixture
def rules(tmp_path) -> Path:
    (tmp_path / "phrases").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "phrases" / "gore.yaml").write_text(GORE, encoding="utf-8")
    (tmp_path / "phrases" / "habits.yaml").write_text(HABITS, encoding="utf-8")
    return tmp_path


def profile(rules: Path, body: str, name: str = "p"):
    path = rules / "profiles" / f"{name}.yaml"
    path.write_text("title: t\nversion: 1\n" + textwrap.dedent(body), encoding="utf-8")
    return load_profile(path)


# ---- scoring -------------------------------------------------------------------------------

def test_scores_sum_distinct_phrases_per_category_in_both_languages(rules):
    library = load_library(rules / "phrases")
    assert library.score_fields("血腥 碎尸 血腥") == {"cn.bad.gore_shock": 12}  # each phrase once
    assert library.score_fields("Gore and DECAPITATION", None, "抽烟的人") == {
        "cn.bad.gore_shock": 13, "minors.bad_habits": 4}
    assert library.score_fields("今天天气很好") == {}


def test_text_is_nfkc_and_case_folded_before_matching(rules):
    library = load_library(rules / "phrases")
    assert library.score_fields("ＧＯＲＥ") == {"cn.bad.gore_shock": 5}  # full-width letters


def test_negative_weights_give_context(rules):
    library = load_library(rules / "phrases")
    # 血腥 (4) + 血腥玛丽 (-4): a cocktail, not gore
    assert library.score_fields("调一杯血腥玛丽") == {"cn.bad.gore_shock": 0}
    assert library.score_fields("A Bloody Mary with gore") == {"cn.bad.gore_shock": 1}
    assert library.score_fields("开始戒烟，不再抽烟") == {"minors.bad_habits": -1}


def test_ascii_phrases_match_whole_words_unless_they_end_in_a_star(rules):
    library = load_library(rules / "phrases")
    assert library.score_fields("Gorey details") == {}  # gore needs a word end
    assert library.score_fields("decapitated") == {"cn.bad.gore_shock": 8}  # decapitat* is open
    assert library.score_fields("vaped") == {}
    assert phrase_pattern("kill") == r"\bkill\b" and phrase_pattern("自杀") == re_escape("自杀")


def re_escape(text: str) -> str:
    import re2
    return re2.escape(text)


def test_a_broken_phrase_file_is_reported_with_its_line(tmp_path):
    (tmp_path / "bad.yaml").write_text(GORE.replace("    碎尸: 8", "    碎尸: lots"), encoding="utf-8")
    with pytest.raises(PhraseError) as caught:
        load_library(tmp_path)
    assert "bad.yaml:" in str(caught.value) and "碎尸" in str(caught.value)


def test_shipped_phrase_lists_load_and_pass_their_cases():
    library = load_library(SHIPPED)
    assert {"cn.bad.clickbait", "cn.bad.gossip", "cn.bad.disaster_commentary",
            "cn.bad.sexual_suggestive", "cn.bad.gore_shock", "cn.bad.discrimination",
            "cn.bad.vulgar", "cn.bad.minor_unsafe_imitation", "minors.self_harm",
            "minors.extreme_emotion", "minors.bad_habits"} <= set(library.lists)
    for phrase_list in library.lists.values():
        weights = phrase_list.weights
        assert phrase_list.cases, f"{phrase_list.path} has no cases"
        assert any(w > 0 for w in weights.values())
        assert any("\u4e00" <= ch <= "\u9fff" for p in weights for ch in p), f"{phrase_list.path}: no zh"
        assert any(p.isascii() for p in weights), f"{phrase_list.path}: no en"
    assert check_phrase_cases(library) == []


def test_a_failing_phrase_case_is_reported(tmp_path):
    (tmp_path / "gore.yaml").write_text(GORE.replace('{title: "碎尸", min: 8}',
                                                     '{title: "碎尸", max: 2}'), encoding="utf-8")
    failures = check_phrase_cases(load_library(tmp_path))
    assert len(failures) == 1 and "scored 8" in failures[0]


# ---- the phrases condition and warn ----------------------------------------------------------

def test_the_condition_fires_at_the_threshold_and_records_category_and_score(rules):
    p = profile(rules, """\
        rules:
          - id: hide-gore
            when: {phrases: {categories: [cn.bad.gore_shock], threshold: 8}}
            action: hide
        """)
    below, at, other = item("血腥"), item("血腥碎尸"), item("抽烟 vape")
    decisions = decide(p, [below, at, other], NOW)
    assert [d.action for d in decisions] == ["keep", "hide", "keep"]
    assert decisions[1].rule == "hide-gore"
    assert at.labels == ["cn.bad.gore_shock", "phrase_score=12"]
    assert below.labels == [] and other.labels == []


def test_families_and_the_highest_category_are_named(rules):
    p = profile(rules, """\
        rules:
          - id: any-harm
            when: {phrases: {categories: ["cn.bad.*", "minors.*"], threshold: 4}}
            action: hide
        """)
    both = item("碎尸 and vape")
    decide(p, [both], NOW)
    assert both.labels == ["cn.bad.gore_shock", "phrase_score=8"]


def test_warn_blurs_with_a_notice_naming_the_category(rules):
    p = profile(rules, """\
        mark: {title_prefix: labelled}
        rules:
          - id: warn-habits
            when: {phrases: {categories: [minors.bad_habits], threshold: 4}}
            action: warn
          - id: warn-custom
            when: {phrases: {categories: [cn.bad.gore_shock], threshold: 4}}
            action: warn
            text: "【提示】"
        """)
    smoke, gore = item("vape review"), item("血腥")
    decisions = decide(p, [smoke, gore], NOW)
    assert (decisions[0].action, decisions[0].label_text) == ("blur", "[warning: minors.bad_habits] ")
    assert smoke.labels == ["minors.bad_habits", "phrase_score=5", "warning"]
    assert (decisions[1].action, decisions[1].label_text) == ("blur", "【提示】")


def test_warn_reaches_the_rewritten_title_for_clients_without_the_extension(rules):
    from feedlens.adapters import load_adapters
    from feedlens.engine import Engine, Request
    from tests.service_support import ADAPTER
    import json

    (rules / "platforms").mkdir()
    (rules / "platforms" / "demo.yaml").write_text(ADAPTER, encoding="utf-8")
    p = profile(rules, """\
        mark: {title_prefix: labelled}
        rules:
          - id: warn-habits
            when: {phrases: {categories: [minors.bad_habits], threshold: 4}}
            action: warn
        """)
    engine = Engine(load_adapters([rules / "platforms"]), p)
    body = json.dumps({"data": {"list": [{"id": "a", "title": "vape tricks"},
                                         {"id": "b", "title": "lego"}]}}).encode()
    outcome = engine.process(Request("GET", "https://api.demo.test/feed/home"), body)
    titles = [x["title"] for x in json.loads(outcome.body)["data"]["list"]]
    assert titles == ["[warning: minors.bad_habits] vape tricks", "lego"]
    assert [i.decision for i in outcome.items] == ["blur", "keep"]


def test_unknown_categories_are_a_profile_error_with_file_and_line(rules):
    with pytest.raises(ProfileError) as caught:
        profile(rules, """\
            rules:
              - id: typo
                when: {phrases: {categories: [cn.bad.gorre], threshold: 3}}
                action: hide
            """)
    assert "p.yaml:4:" in str(caught.value) and "cn.bad.gorre" in str(caught.value)


def test_the_schema_refuses_a_phrases_condition_without_threshold(rules):
    with pytest.raises(ProfileError, match="threshold"):
        profile(rules, """\
            rules:
              - id: no-threshold
                when: {phrases: {categories: [cn.bad.gore_shock]}}
                action: hide
            """)


def test_phrases_work_under_any_and_not_and_in_inline_cases(rules):
    p = profile(rules, """\
        rules:
          - id: gore-or-ad
            when:
              any:
                - {provenance: promoted}
                - {phrases: {categories: [cn.bad.gore_shock], threshold: 5}}
            unless: {phrases: {categories: [minors.bad_habits], threshold: 4}}
            action: hide
            cases:
              match: [{title: "碎尸"}, {provenance: promoted}]
              no_match: [{title: "血腥"}, {title: "碎尸 vape"}]
        """)
    assert check_cases(p) == []
    gore = item("碎尸")
    assert decide(p, [gore], NOW)[0].action == "hide"
    assert gore.labels == []  # the phrases test sat under `any`: no single category to name


def test_profiles_outside_a_rules_dir_use_the_shipped_lists(tmp_path):
    path = tmp_path / "loose.yaml"
    path.write_text("title: t\nversion: 1\nrules:\n  - id: x\n    when: {phrases: {categories: "
                    "[minors.self_harm], threshold: 5}}\n    action: hide\n", encoding="utf-8")
    p = load_profile(path)
    assert decide(p, [item("不想活了")], NOW)[0].action == "hide"


# ---- allowlist mode --------------------------------------------------------------------------

def test_allowlist_mode_with_phrase_rules_first(rules):
    p = profile(rules, """\
        rules:
          - id: hide-gore
            when: {phrases: {categories: [cn.bad.gore_shock], threshold: 5}}
            action: hide
          - id: only-these
            when: {author: [science-kids, "7"]}
            action: allow_only
        """)
    listed = item("火山实验", author="Science-Kids")
    listed_by_id = item("拼图", author_id="7")
    listed_gore = item("碎尸 reenactment", author="science-kids")
    stranger = item("拼图", author="someone")
    decisions = decide(p, [listed, listed_by_id, listed_gore, stranger], NOW)
    assert [d.action for d in decisions] == ["keep", "keep", "hide", "hide"]
    assert [d.rule for d in decisions] == ["only-these", "only-these", "hide-gore", "allow_only:unlisted"]


def test_a_preset_can_be_turned_into_an_allowlist(tmp_path):
    text = (paths.profiles_dir() / "minor-under-8.yaml").read_text(encoding="utf-8")
    text += ("  - id: only-these-channels\n    when: {author: [\"小小科学家\"]}\n"
             "    action: allow_only\n")
    rules_dir = tmp_path / "rules"
    (rules_dir / "profiles").mkdir(parents=True)
    (rules_dir / "phrases").symlink_to(SHIPPED)
    (rules_dir / "profiles" / "kid.yaml").write_text(text, encoding="utf-8")
    p = load_profile(rules_dir / "profiles" / "kid.yaml")
    assert check_cases(p) == []
    allowed = item("火山实验", author="小小科学家")
    harmful = item("慎入！恐怖画面", author="小小科学家")
    stranger = item("火山实验", author="别人")
    ad = item("火山实验", author="小小科学家", provenance="promoted")
    assert [d.action for d in decide(p, [allowed, harmful, stranger, ad], NOW)] == [
        "keep", "hide", "hide", "hide"]


# ---- presets ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_is_locked_valid_and_passes_its_cases(name):
    p = load_profile(paths.profiles_dir() / f"{name}.yaml")
    assert p.locked
    assert check_cases(p) == []
    assert all(rule.cases.get("match") and rule.cases.get("no_match") for rule in p.rules)
    limits = limits_of(p)
    assert limits.curfew == (22 * 60, 6 * 60)
    assert limits.rest_reminder_minutes == 30
    assert limits.daily_minutes == (120 if name == "minor-16-18" else 60)
    assert any(r.action == "warn" for r in p.rules)


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_hides_ads_and_keeps_harmless_followed_items(name):
    p = load_profile(paths.profiles_dir() / f"{name}.yaml")
    ad, fine = item("乐高", provenance="promoted"), item("乐高城堡搭建", provenance="followed")
    assert [d.action for d in decide(p, [ad, fine], NOW)] == ["hide", "keep"]


@pytest.mark.parametrize("name,hidden", [("minor-under-8", True), ("minor-8-12", True),
                                         ("minor-12-16", False), ("minor-16-18", False)])
def test_recommendations_are_hidden_for_the_two_youngest_bands(name, hidden):
    p = load_profile(paths.profiles_dir() / f"{name}.yaml")
    items = [item("乐高", provenance="personalized"), item("乐高", provenance="popular")]
    assert all((d.action == "hide") == hidden for d in decide(p, items, NOW))


def test_younger_bands_have_stricter_thresholds():
    def threshold(name: str, rule_id: str) -> int:
        p = load_profile(paths.profiles_dir() / f"{name}.yaml")
        spec = next(r for r in p.raw["rules"] if r["id"] == rule_id)
        return spec["when"]["phrases"]["threshold"]
    for rule_id in ("hide-banned-content", "warn-art23"):
        values = [threshold(name, rule_id) for name in PRESETS]
        assert values == sorted(values) and values[0] < values[-1], (rule_id, values)
    # A score of 5 in gore: hidden for the youngest three, kept (below 6) for 16-18.
    outcomes = [decide(load_profile(paths.profiles_dir() / f"{n}.yaml"), [item("gore")], NOW)[0].action
                for n in PRESETS]
    assert outcomes == ["hide", "hide", "hide", "keep"]
