"""The proxy's block pages: rendered from their template with autoescape, worded from the
same message catalogue as the dashboard, in the language the browser asks for."""

from __future__ import annotations

import pytest
from markupsafe import escape

from feedlens import i18n
from feedlens.minors import blockpage


def test_a_hostile_path_in_the_rest_page_stays_text():
    body = blockpage.rest_body("en", 45, '/feed?"><script>alert(1)</script>').decode()
    assert "<script" not in body
    assert 'href="/feed?&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in body
    assert "You have been scrolling for 45 minutes." in body


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_blocked_page_is_worded_from_the_catalogue(lang):
    body = blockpage.blocked_body(lang, reason="budget", until_text="06:00", curfew=None,
                                  budget=60).decode()
    t = i18n.translator(lang)
    assert f'<html lang="{t.html_lang}">' in body
    for text in (t("blockpage.blocked_title"), t("blockpage.budget", budget=60),
                 t("blockpage.until", until="06:00"), t("blockpage.ask"), t("blockpage.footer")):
        assert str(escape(text)) in body, text  # Today's: the apostrophe is escaped
    assert f'action="{blockpage.ASK_PATH}"' in body
    assert '<option value="30" selected>' in body and "<script" not in body


def test_the_curfew_page_names_its_hours():
    body = blockpage.blocked_body("zh", reason="curfew", until_text=None, curfew=(21 * 60, 6 * 60),
                                  budget=None).decode()
    assert "21:00" in body and "06:00" in body and "夜间" in body


@pytest.mark.parametrize("key", blockpage.MESSAGES)
def test_every_message_page_has_its_words_in_both_languages(key):
    for lang in ("en", "zh"):
        body = blockpage.message_body(lang, key).decode()
        assert i18n.t(lang, f"blockpage.{key}") in body


def test_the_asked_page_in_chinese():
    body = blockpage.asked_body("zh", 15).decode()
    assert "已申请再用 15 分钟" in body and 'href="/"' in body
