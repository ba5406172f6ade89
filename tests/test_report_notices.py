"""The 12377 report text and the DSA Art 16(2) notice carry the elements the channels require."""

from __future__ import annotations

import pytest

from feedlens.reports.categories import by_id, load_categories
from feedlens.reports.notices import dsa_notice, text_12377
from feedlens.reports.templates import ReportError

CATEGORIES = by_id(load_categories())
ITEM = {"platform": "bilibili", "kind": "video", "id": "BV17x411w7KC", "author": "某UP主",
        "author_id": "2", "title": "震惊！", "published": 1700000000,
        "url": "https://www.bilibili.com/video/BV17x411w7KC"}
PAGE = "https://www.bilibili.com/video/BV17x411w7KC?p=1"


def test_12377_text_in_chinese():
    rumor = CATEGORIES["cn.illegal.rumor"]
    text = text_12377(rumor, ITEM, PAGE, "视频编造灾情")
    for part in ("举报类型：谣言", rumor.zh, "第六条第（八）项", PAGE, ITEM["url"], "BV17x411w7KC",
                 "某UP主", "震惊！", "2023-11-14", "视频编造灾情", "https://www.12377.cn/"):
        assert part in text, part


def test_12377_text_in_english():
    text = text_12377(CATEGORIES["cn.bad.vulgar"], ITEM, PAGE, "", lang="en")
    for part in ("12377 report type: 低俗", "Promoting vulgar", "Art 7(7)", PAGE,
                 "Details: Promoting vulgar", "https://www.12377.cn/"):
        assert part in text, part


def test_12377_without_a_matching_type_says_so():
    assert "choose the closest type" in text_12377(CATEGORIES["cn.bad.clickbait"], ITEM, PAGE, "x", "en")
    assert "最接近的类型" in text_12377(CATEGORIES["cn.bad.clickbait"], ITEM, PAGE, "x")


def test_dsa_notice_has_the_art_16_2_elements():
    category = CATEGORIES["dsa.illegal_or_harmful_speech"]
    text = dsa_notice(category, ITEM, PAGE, "Incites hatred against a group (§ 130 StGB).",
                      "Erika Mustermann", "erika@example.eu")
    assert "Article 16" in text
    # (a) a substantiated explanation, with the category it falls under
    assert "(a) Explanation" in text and "Incites hatred against a group (§ 130 StGB)." in text
    assert "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH" in text
    # (b) the exact electronic location: the page and the item's own URL
    assert "(b) Exact electronic location" in text and PAGE in text and ITEM["url"] in text
    # (c) name and email
    assert "(c) Name and email" in text and "Erika Mustermann <erika@example.eu>" in text
    # (d) the good-faith statement
    assert ("(d) Statement of good faith" in text and "I, Erika Mustermann, confirm my bona fide belief that "
            "the information and allegations contained in this notice are accurate and complete." in text)
    order = [text.index(f"({letter})") for letter in "abcd"]
    assert order == sorted(order)


def test_dsa_notice_in_chinese():
    text = dsa_notice(CATEGORIES["cn.illegal.defamation_privacy"], ITEM, PAGE, "捏造事实诽谤他人", "张三",
                      "zs@example.cn", lang="zh")
    for part in ("第 16 条", "(a)", "捏造事实诽谤他人", "(b)", PAGE, "(c)", "张三 <zs@example.cn>", "(d)",
                 "善意确信"):
        assert part in text, part


@pytest.mark.parametrize("explanation, page, name, email, message", [
    ("", PAGE, "A", "a@b.eu", "explanation"),
    ("why", "", "A", "a@b.eu", "http(s) URL"),
    ("why", "javascript:alert(1)", "A", "a@b.eu", "http(s) URL"),
    ("why", PAGE, "", "a@b.eu", "name and email"),
    ("why", PAGE, "A", "", "name and email"),
    ("why", PAGE, "A", "not-an-email", "not an email address"),
])
def test_dsa_notice_refuses_missing_elements(explanation, page, name, email, message):
    with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dsa_notice(CATEGORIES["dsa.scams_and_fraud"], ITEM, page, explanation, name, email)


def test_child_sexual_abuse_notices_may_be_anonymous():
    category = CATEGORIES["minors.sexual_content"]
    assert category.anonymous_notice
    text = dsa_notice(category, ITEM, PAGE, "Sexualised depiction of a child.", "", "")
    assert "omitted under Art 16(2)(c)" in text and "I confirm my bona fide belief" in text


def test_12377_refuses_a_missing_location():
    with pytest.raises(ReportError):
        text_12377(CATEGORIES["cn.illegal.rumor"], ITEM, "", "x")
