"""rules/categories.yaml: loads, ids unique and well-formed, every legal item covered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.reports.categories import (
    CHANNELS_12377, DSA_CATEGORIES, GROUPS, ID_PATTERN, TOPICS, group_label, label, load_categories,
)

CATEGORIES = load_categories()
CN_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"]


def test_shipped_categories_load():
    assert len(CATEGORIES) >= 50


def test_ids_are_unique_and_well_formed():
    ids = [c.id for c in CATEGORIES]
    assert len(ids) == len(set(ids))
    for category in CATEGORIES:
        assert re.match(ID_PATTERN, category.id), category.id
        assert category.group == category.id.rsplit(".", 1)[0]
        assert category.group in GROUPS


@pytest.mark.parametrize("article, items", [("六", 11), ("七", 9)])
def test_every_item_of_arts_6_and_7_is_covered(article, items):
    refs = " ".join(c.ref for c in CATEGORIES)
    for numeral in CN_NUMERALS[:items]:
        assert f"第{article}条第（{numeral}）项" in refs, f"Art {article} item {numeral} has no category"


def test_acts_of_arts_21_to_25_are_covered():
    acts = [c for c in CATEGORIES if c.group == "cn.act"]
    for article in ("二十一", "二十二", "二十三", "二十四", "二十五"):
        assert any(f"第{article}条" in c.ref for c in acts), f"Art {article} has no category"


def test_contract_ids_exist():
    ids = {c.id for c in CATEGORIES}
    assert {"cn.bad.clickbait", "cn.illegal.rumor", "cn.act.deepfake", "minors.unsafe_imitation",
            "dsa.illegal_or_harmful_speech"} <= ids


def test_minors_categories_cover_arts_22_23_and_45():
    minors = {c.id.split(".", 1)[1] for c in CATEGORIES if c.group == "minors"}
    assert {"self_harm", "unsafe_imitation", "extreme_emotion", "bad_habits", "image_misuse",
            "personal_info", "fan_fundraising"} <= minors


def test_every_dsa_statement_category_is_a_category_of_its_own():
    dsa = {c.id: c for c in CATEGORIES if c.group == "dsa"}
    assert set(dsa) == {f"dsa.{name}" for name in DSA_CATEGORIES}
    for category in dsa.values():
        assert category.dsa == category.id.split(".", 1)[1]
        assert category.dsa_constant in category.ref


def test_mappings_use_known_values():
    for category in CATEGORIES:
        assert category.channel_12377 in (None, *CHANNELS_12377)
        assert category.dsa in (None, *DSA_CATEGORIES)
    # The 12377 types that exist are all used by some category.
    assert {c.channel_12377 for c in CATEGORIES} >= set(CHANNELS_12377)


def test_labels_in_both_languages():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for category in CATEGORIES:
        assert cjk.search(category.zh), category.id
        assert not cjk.search(category.en), category.id
    rumor = next(c for c in CATEGORIES if c.id == "cn.illegal.rumor")
    assert label(rumor, "zh-CN") == label(rumor, "zh_CN") == label(rumor, "zh") == rumor.zh
    assert label(rumor, "en") == label(rumor, "fr") == rumor.en
    assert group_label("cn.illegal", "zh") == "违法信息"


def test_phrase_lists_name_known_categories():
    """The keyword lists of the minors feature score the same categories users report."""
    ids = {c.id for c in CATEGORIES}
    listed = {re.search(r"^category:\s*(\S+)", p.read_text(encoding="utf-8"), re.M).group(1)
              for p in (paths.rules_dir() / "phrases").glob("*.yaml")}
    assert listed - ids == set()


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "categories.yaml").write_text(
        "title: t\nversion: 1\ncategories:\n" + body, encoding="utf-8")
    return tmp_path


GOOD = "  - {id: cn.bad.clickbait, topics: [misleading], zh: 标题党, en: Clickbait, ref: Art 7(1)}\n"


def test_a_small_file_loads(tmp_path):
    [category] = load_categories(_write(tmp_path, GOOD))
    assert (category.group, category.channel_12377, category.dsa) == ("cn.bad", None, None)
    assert category.topics == ("misleading",)


@pytest.mark.parametrize("body, message", [
    (GOOD + GOOD, "categories.yaml:5: duplicate category id 'cn.bad.clickbait' (first at line 4)"),
    (GOOD + "  - {id: cn.nope.x, zh: 甲, en: A, ref: r}\n", "categories.yaml:5: categories.1.id"),
    (GOOD + "  - {id: cn.bad.x, zh: 甲, en: A, ref: r, channel_12377: 其他}\n",
     "categories.yaml:5: categories.1.channel_12377"),
    (GOOD + "  - {id: cn.bad.x, zh: 甲, ref: r}\n", "categories.yaml:5: categories.1: 'en' is a required"),
    (GOOD + "  - {id: cn.bad.x, zh: 甲, en: A, ref: r, dsa: hate}\n", "categories.yaml:5: categories.1.dsa"),
    ("  - {id: [x\n", "categories.yaml:5: invalid YAML"),
    (GOOD + "  - {id: cn.bad.x, zh: 甲, en: A, ref: r}\n", "categories.yaml:5: categories.1: 'topics' is a required"),
    (GOOD + "  - {id: cn.bad.x, topics: [politics], zh: 甲, en: A, ref: r}\n",
     "categories.yaml:5: categories.1.topics.0"),
    (GOOD + "  - {id: cn.bad.x, topics: [], zh: 甲, en: A, ref: r}\n", "categories.yaml:5: categories.1.topics"),
])
def test_broken_file_reports_file_and_line(tmp_path, body, message):
    with pytest.raises(ValueError) as err:
        load_categories(_write(tmp_path, body))
    assert message in str(err.value)


def test_every_plain_question_has_categories_and_ads_lead_to_the_ad_categories():
    """The picker's first question (topics) is answered by data: each answer lists something."""
    found = load_categories()
    by_topic = {topic: {c.id for c in found if topic in c.topics} for topic in TOPICS}
    assert all(by_topic.values()), by_topic
    assert {"cn.ad.unlabelled", "dsa.consumer_information", "dsa.scams_and_fraud"} <= by_topic["ad"]
    assert "cn.illegal.constitution" not in by_topic["ad"]  # an ad report starts with ad reasons
    assert {"cn.act.insult_threat_privacy", "dsa.cyber_violence"} <= by_topic["harassment"]
    assert {c.id for c in found if c.group == "minors"} <= by_topic["minors"]
