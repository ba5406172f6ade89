"""Real Chromium, the real extension, a real `feedlens run` (issue 15 item 5): pairing records
the extension's origin and only it is accepted afterwards; the popup's Open dashboard button
logs in with a one-time code, so the API token never reaches an address bar or the history."""

from __future__ import annotations

import pytest

from feedlens import pairing

from .conftest import proxied_browser

pytestmark = pytest.mark.browser

OTHER = "chrome-extension://" + "p" * 32  # another installed extension


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("origin"), "en-US")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


def test_pairing_records_this_extension_and_refuses_others(browser, feedlens):
    own = f"chrome-extension://{browser.extension_id}"
    assert pairing.paired_origin(feedlens.data_dir) == own
    assert feedlens.api("/api/extension/state", origin=own)[0] == 200
    assert feedlens.api("/api/extension/state", origin=OTHER)[0] == 403  # even with the token
    assert feedlens.api("/api/health", token=False, origin=OTHER)[0] == 200  # "is it there?"


def test_the_popup_opens_the_dashboard_without_the_token_in_any_url(browser, feedlens):
    base = f"http://127.0.0.1:{feedlens.service_port}"
    # What the extension asks the browser to open (a tab it creates is no page's request).
    browser.in_worker("""() => {
      const create = chrome.tabs.create.bind(chrome.tabs);
      self.openedUrls = [];
      chrome.tabs.create = (props) => { self.openedUrls.push(props.url); return create(props); };
    }""")
    popup = browser.new_page()
    popup.goto(browser.url("popup.html"))
    with browser.context.expect_page() as opened:
        popup.click("#dashboard")
    page = opened.value
    page.wait_for_url(f"{base}/", timeout=15_000)  # the code spent, a clean address
    page.wait_for_selector("#status")  # the dashboard itself, not the "needs a link" page
    [url] = browser.in_worker("() => self.openedUrls")
    assert url.startswith(f"{base}/?code=") and feedlens.token not in url
    spent = browser.new_page()
    assert spent.goto(url).status == 401  # one-time: the history entry opens nothing
    for tab in (popup, page, spent):
        tab.close()
