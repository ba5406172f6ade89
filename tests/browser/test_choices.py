"""The user's choice in real Chromium (issue 22): a revert the watchdog recorded for Bilibili
shows in the extension popup of a Bilibili feed tab ("turned back on by the platform") and on
the dashboard's "Your choices" page, where one click hides personalised items there until the
choice is honoured again. The revert is seeded through the watchdog's own observe() on the
running feedlens's SQLite file."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import threading
import time

import pytest

from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog
from feedlens.store import FILE_NAME, Store
from tests.e2e.conftest import wait_until

from .conftest import open_feed, proxied_browser
from .test_pages import api

pytestmark = pytest.mark.browser
DEVICE = "192.0.2.7"  # not the browser's own address: its observations never touch this track


def reading(state: str) -> Observation:
    return Observation("bilibili", "personalised_recommendation", "disable-rcmd-query", "flag",
                       "confirmed", state, {"field": "query.disable_rcmd", "value": "0" if state == "personalised" else "1",
                                            "method": "GET", "host": "app.bilibili.com", "path": "/x/v2/feed/index"})


async def seed_revert(data_dir) -> None:
    store = Store(data_dir / FILE_NAME, prune_interval=0)
    await store.start()
    try:
        watchdog, now = Watchdog(store), time.time()
        await watchdog.observe(reading("not_personalised"), DEVICE, now - 20)
        await watchdog.observe(reading("personalised"), DEVICE, now - 10)
        assert (await watchdog.observe(reading("personalised"), DEVICE, now)).sure == "confirmed"
    finally:
        await store.close()


def login_code(feedlens) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{feedlens.service_port}/api/login-link", method="POST",
                                     headers={"Authorization": f"Bearer {feedlens.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["code"]


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-choices"), "en-US")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


def test_popup_and_page_show_the_revert_and_hide_until_honoured(browser, feedlens):
    # in a thread of its own: Playwright's sync API runs an event loop in this one
    seeding = threading.Thread(target=asyncio.run, args=(seed_revert(feedlens.data_dir),))
    seeding.start()
    seeding.join()
    page = open_feed(browser, "bilibili")
    popup = browser.new_page()
    popup.goto(browser.url(f"popup.html?tab={browser.tab_id(page)}"))
    line = popup.wait_for_selector("#choice:not([hidden])")
    assert line.get_attribute("data-status") == "reverted"
    assert "turned back on by the platform" in line.text_content()
    popup.close()

    code = login_code(feedlens)
    dashboard = browser.new_page()
    base = f"http://127.0.0.1:{feedlens.service_port}"
    dashboard.goto(f"{base}/?code={code}")
    dashboard.goto(f"{base}/choices?lang=en")
    section = dashboard.locator('section[data-platform="bilibili"]')
    assert section.get_attribute("data-status") == "reverted"
    assert section.locator("svg rect.confirmed").count() >= 1
    try:
        section.locator("button").click()
        dashboard.wait_for_url("**notice=hiding**")
        assert "Stop hiding now" in dashboard.locator('section[data-platform="bilibili"]').text_content()
        track = api(feedlens, "/api/choices?host=www.bilibili.com")["choices"]
        assert any(t["hiding"] and t["status"] == "reverted" for t in track)
        rules = api(feedlens, "/api/my-rules")
        assert "switch:choice:bilibili" in str(rules)
    finally:
        dashboard.locator('section[data-platform="bilibili"] button').click()
        wait_until(lambda: not any(t["hiding"] for t in api(feedlens, "/api/choices?platform=bilibili")["choices"]),
                   5, "hiding ended")
    dashboard.close()
