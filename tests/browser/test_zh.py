"""The same pages with the browser in Chinese: every string comes from _locales/zh_CN."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

from .conftest import Shadow, open_feed, proxied_browser, screenshot, settle, wait_badges

pytestmark = pytest.mark.browser

WORDS = {"followed": "关注", "personalized": "推荐", "popular": "热门", "unmarked": "未记录"}


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-zh"), "zh-CN")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


@pytest.mark.parametrize("platform", ["bilibili", "x", "youtube"])
def test_badges_in_chinese(browser, platform):
    page = open_feed(browser, platform)
    badges = wait_badges(Shadow(page), platform, 5)
    settle(0.5)
    for badge in badges:
        assert badge.text.startswith(WORDS[badge.provenance]), badge
    blurred = [b for b in badges if b.decision == "blur"]
    assert all("已模糊" in b.text for b in blurred)
    screenshot(page, f"{platform}-zh")
    page.close()


def test_overlay_and_popup_in_chinese(browser):
    page = open_feed(browser, "bilibili")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.provenance == "followed")
    shadow.hover(badge.node)
    text, buttons = wait_until(lambda: shadow.overlay(), 5, "the why-overlay")
    assert "来自你关注的账号" in text and "来源规则" in text and "依据" in text
    assert {"隐藏这个作者", "总是显示这个作者", "隐藏类似内容…", "举报…"} <= set(buttons)
    screenshot(page, "bilibili-overlay-zh")
    tab = browser.tab_id(page)
    popup = browser.new_page()
    popup.set_viewport_size({"width": 360, "height": 520})
    popup.goto(browser.url(f"popup.html?tab={tab}"))
    popup.wait_for_selector("#legend li")
    assert "已配对" in popup.locator("#health").inner_text()
    assert "隐藏个性化推荐" in popup.locator("#controls").inner_text()
    screenshot(popup, "popup-zh")
    popup.close()
    page.close()
