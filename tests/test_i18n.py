"""The message catalogues: both languages have the same keys and the same placeholders, and
the translator fills and falls back as the pages expect."""

from __future__ import annotations

import re

import pytest

from feedlens import i18n


def test_every_key_is_in_both_languages():
    en, zh = set(i18n.messages("en")), set(i18n.messages("zh"))
    assert sorted(en - zh) == [], "missing in zh-CN.yaml"
    assert sorted(zh - en) == [], "missing in en.yaml"
    assert len(en) > 300  # every page's words, not an empty file that trivially matches


def test_placeholders_match_between_languages():
    en, zh = i18n.messages("en"), i18n.messages("zh")
    differ = {key: (i18n.placeholders(en[key]), i18n.placeholders(zh[key]))
              for key in en if i18n.placeholders(en[key]) != i18n.placeholders(zh[key])}
    assert differ == {}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_positional_placeholders(lang):
    """`{}` or `{0}` could not be filled by name: every placeholder has a name."""
    bad = [key for key, text in i18n.messages(lang).items()
           if any(name == "" or name.isdigit() for name in i18n.placeholders(text))]
    assert bad == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_no_message_is_empty(lang):
    assert [k for k, text in i18n.messages(lang).items() if not text.strip()] == []


def test_zh_messages_are_chinese():
    """A copy-paste of the English file would pass the parity test; most zh words are Han."""
    zh = i18n.messages("zh")
    han = [k for k, text in zh.items() if re.search(r"[\u4e00-\u9fff]", text)]
    assert len(han) > 0.8 * len(zh)


def test_translator_fills_named_placeholders():
    t = i18n.translator("en")
    assert t("blockpage.asked", minutes=30).startswith("Asked for 30 more minutes")
    assert i18n.translator("zh")("common.time.ago", span="5分钟") == "5分钟前"


def test_translator_fallback_and_missing_key():
    t = i18n.translator("zh")
    assert t.get("common.provenance.promoted", "x") == "广告"
    assert t.get("common.provenance.brand_new", "brand_new") == "brand_new"
    with pytest.raises(KeyError):
        t("no.such.key")


def test_html_language_tags():
    assert i18n.translator("zh").html_lang == "zh-CN"
    assert i18n.translator("en").html_lang == "en"
    assert i18n.translator("fr").lang == "en"  # an unknown language falls back to English


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_audit_outcome_has_words_for_the_parent_page(lang):
    from feedlens.minors.audit import OUTCOMES

    t = i18n.translator(lang)
    missing = [o for o in OUTCOMES if t.get(f"parent.audit_outcome.{o}", None) is None]
    assert missing == []
