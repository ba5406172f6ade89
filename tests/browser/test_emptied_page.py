"""A page the user's rules emptied does not end the feed (issue 19): in real Chromium through
the real proxy, the YouTube-like test page scrolls past a second page whose every card is
hidden and shows the third page's cards. Its infinite scroll works as youtube.com's does: the
next page loads when the continuation sentinel comes into view, so a page that added no card
would stall it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

from .conftest import ARTIFACTS, Shadow, open_feed, proxied_browser, wait_badges
from .test_pages import RECORD_LINKS, api, links

pytestmark = pytest.mark.browser
# The second page's three videos (rules/platforms/youtube.fixtures/browse-home-continuation.json);
# its fourth card, an ad, goes by the browser profile's hide-ads rule.
PAGE_TWO = {"Yc2mW8pLq0T": "trains in Japan", "PL8dPuuaLjXtNlUrzyH5r6jN9ulIgZBpdo": "Crash Course",
            "fJ9rUzIMcZQ": "Bohemian Rhapsody"}
PAGE_THREE = ("Hq3vN8rTb2K", "Wm5pB7cXe1R")  # browse-home-page3.json


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-empty"), "en-US")
    browser.context.add_init_script(RECORD_LINKS)
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


def seen(page, video_id: str) -> bool:
    return any(video_id in href for href in links(page))


def test_scrolling_goes_on_past_a_page_the_rules_emptied(browser, feedlens):
    rule_ids = [api(feedlens, "/api/extension/rules", {"kind": "hide_like", "platform": "youtube",
                                                       "keyword": keyword})["id"]
                for keyword in PAGE_TWO.values()]
    try:
        wait_until(lambda: set(rule_ids) <= {r["id"] for r in api(feedlens, "/api/extension/state")["page_rules"]},
                   5, "the three rules")
        page = open_feed(browser, "youtube")
        wait_badges(Shadow(page), "youtube", 3)
        page.mouse.wheel(0, 5000)  # page 2: every card hidden, one placeholder card instead
        page.wait_for_function("Number(document.documentElement.dataset.feedPages) >= 2")
        note = page.get_by_text("feedlens hid 4 items here")
        note.wait_for(timeout=10_000)
        assert not any(seen(page, video_id) for video_id in PAGE_TWO)
        page.mouse.wheel(0, 5000)  # the card moved the sentinel: scrolling on loads page 3
        page.wait_for_function("Number(document.documentElement.dataset.feedPages) >= 3", timeout=15_000)
        wait_until(lambda: all(seen(page, video_id) for video_id in PAGE_THREE), 10, "page three's videos")
        page.screenshot(path=str(ARTIFACTS / "emptied-page-youtube.png"))
        page.close()
    finally:
        for rule_id in rule_ids:
            api(feedlens, "/api/extension/undo", {"id": rule_id})
