"""With the feedlens service stopped the pages load and work: no badges, no page errors.

The browser goes straight to the test site here (no proxy), so stopping feedlens stops only
what the extension talks to.
"""

from __future__ import annotations

import pytest

from .conftest import Shadow, _walk, launch, open_feed, screenshot, settle, spki_hash, start_feedlens

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright_instance, site, site_certs, tmp_path_factory):
    feedlens = start_feedlens(tmp_path_factory.mktemp("feedlens-down"), site, site_certs)
    browser = launch(playwright_instance, tmp_path_factory.mktemp("chromium-down"),
                     spki=[spki_hash(site_certs / "server.pem")], resolve=site.port)
    try:
        browser.pair(feedlens)  # paired, with a token: the extension will try the service
    finally:
        feedlens.proc.stop()
    yield browser
    browser.context.close()


def ours(shadow: Shadow) -> list[str]:
    return [n["nodeName"] for n, _ in _walk(shadow.document()) if n.get("nodeName", "").startswith("FEEDLENS-")]


@pytest.mark.parametrize("platform, cards", [("bilibili", ".feed-card"), ("x", "article"),
                                             ("youtube", "ytd-rich-item-renderer")])
def test_pages_work_without_the_service(browser, platform, cards):
    page = open_feed(browser, platform)
    assert page.locator(cards).count() >= 4
    settle(1.5)  # the content script has asked the service by now, and failed
    if platform == "bilibili":
        before = page.locator(cards).count()
        page.click("#more")  # the page's own controls still work
        page.wait_for_function("Number(document.documentElement.dataset.feedPages) >= 2")
        assert page.locator(cards).count() == before  # the second page repeats the same ids
    if platform == "youtube":
        page.mouse.wheel(0, 4000)  # infinite scroll: the continuation loads
        page.wait_for_function("Number(document.documentElement.dataset.feedPages) >= 2")
    assert ours(Shadow(page)) == []
    assert page.locator("[data-feedlens-hide], [data-feedlens-blur]").count() == 0
    screenshot(page, f"{platform}-service-down")
    page.close()
    assert browser.errors == []


def test_popup_says_the_service_is_unreachable(browser):
    popup = browser.new_page()
    popup.goto(browser.url("popup.html"))
    popup.wait_for_selector("#problem:not([hidden])")
    assert "not reachable" in popup.locator("#problem").inner_text()
    popup.close()
    assert browser.errors == []
