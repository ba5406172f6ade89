"""The user's choice in real Chromium (issue 22). Chromium itself sends the Bilibili app's feed
request through the running feedlens: first with `disable_rcmd=1`, then twice with
`disable_rcmd=0`, each carrying the site's login cookies (SESSDATA, bili_jct) and an
Authorization header, so the watchdog records a confirmed revert from real proxied traffic.
The revert shows in the extension popup of a Bilibili feed tab ("turned back on by the
platform") and on the dashboard's "Your choices" page, where one click hides personalised items
there until the choice is honoured again, and another prepares a complaint: the report's page
shows its texts and its bundle downloads; every file verifies against the manifest (SHA-256) and
no cookie, Authorization or dashboard token value is in it."""

from __future__ import annotations

import hashlib
import json
import urllib.request
import zipfile

import pytest

from tests.e2e.conftest import wait_until

from .conftest import open_feed, proxied_browser
from .test_pages import api

pytestmark = pytest.mark.browser
FEED = "https://app.bilibili.com/x/v2/feed/index?build=8410300&disable_rcmd={flag}&idx={idx}&mobi_app=android"
BEARER = "Bearer bearer-secret-6021"


def login_code(feedlens) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{feedlens.service_port}/api/login-link", method="POST",
                                     headers={"Authorization": f"Bearer {feedlens.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["code"]


def reverts(feedlens) -> list[dict]:
    return [r for t in api(feedlens, "/api/choices?platform=bilibili")["choices"] for r in t["reverts"]]


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-choices"), "en-US")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


@pytest.fixture(scope="module")
def revert(browser, feedlens) -> dict:
    """A revert recorded from Chromium's own requests through the proxy; returns it with the
    secret values those requests carried."""
    open_feed(browser, "bilibili").close()  # logs the browser in: .bilibili.com cookies
    cookies = {c["name"]: c["value"] for c in browser.context.cookies() if c["domain"].endswith("bilibili.com")}
    assert {"SESSDATA", "bili_jct"} <= set(cookies)
    page = browser.new_page()
    page.set_extra_http_headers({"Authorization": BEARER})
    for idx, flag in enumerate((1, 0, 0), start=1):
        page.goto(FEED.format(flag=flag, idx=idx))  # loaded: a page closed mid-commit can hang
        wait_until(lambda: len(api(feedlens, "/api/choices?platform=bilibili")["choices"]) == 1, 20, "the track")
    page.close()
    wait_until(lambda: reverts(feedlens), 20, "the revert")
    [found] = reverts(feedlens)
    assert found["sure"] == "confirmed" and found["reason"] == "two_in_a_row"
    return {**found, "secrets": [cookies["SESSDATA"], cookies["bili_jct"], BEARER.split()[1], feedlens.token]}


def dashboard_page(browser, feedlens):
    dashboard = browser.new_page()
    dashboard.goto(f"http://127.0.0.1:{feedlens.service_port}/?code={login_code(feedlens)}")
    return dashboard


def test_popup_and_page_show_the_revert_and_hide_until_honoured(browser, feedlens, revert):
    page = open_feed(browser, "bilibili")
    popup = browser.new_page()
    popup.goto(browser.url(f"popup.html?tab={browser.tab_id(page)}"))
    line = popup.wait_for_selector("#choice:not([hidden])")
    assert line.get_attribute("data-status") == "reverted"
    assert "turned back on by the platform" in line.text_content()
    popup.close()

    dashboard = dashboard_page(browser, feedlens)
    dashboard.goto(f"http://127.0.0.1:{feedlens.service_port}/choices?lang=en")
    section = dashboard.locator('section[data-platform="bilibili"]')
    hide = 'section[data-platform="bilibili"] form[action="/choices/hide"] button'
    assert section.get_attribute("data-status") == "reverted"
    assert section.locator("svg rect.confirmed").count() >= 1
    try:
        dashboard.locator(hide).click()
        dashboard.wait_for_url("**notice=hiding**")
        assert "Stop hiding now" in dashboard.locator('section[data-platform="bilibili"]').text_content()
        track = api(feedlens, "/api/choices?host=www.bilibili.com")["choices"]
        assert any(t["hiding"] and t["status"] == "reverted" for t in track)
        rules = api(feedlens, "/api/my-rules")
        assert "switch:choice:bilibili" in str(rules)
    finally:
        dashboard.locator(hide).click()
        # the redirect must be done before close: closing mid-commit can leave Chromium's next
        # new_page waiting for ever (microsoft/playwright#42366)
        dashboard.wait_for_url("**notice=not_hiding**")
        wait_until(lambda: not any(t["hiding"] for t in api(feedlens, "/api/choices?platform=bilibili")["choices"]),
                   5, "hiding ended")
    dashboard.close()


def test_the_revert_raises_one_notification(browser, feedlens, revert):
    """The alarm that polls every minute is armed; its check is called here directly rather than
    waited for. It shows one notification for Bilibili, remembers the revert, and shows nothing
    again for the same revert."""
    assert browser.in_worker("chrome.alarms.get('feedlens-choices').then(a => a && a.periodInMinutes)") == 1
    browser.in_worker("feedlensChoiceWatch.checkChoices()")
    shown = browser.in_worker("chrome.notifications.getAll()")
    assert "feedlens-choice-bilibili" in shown, shown
    mark = browser.in_worker("chrome.storage.local.get('choiceNotified').then(s => s.choiceNotified)")
    assert mark["id"] == revert["id"]
    title = browser.in_worker("chrome.i18n.getMessage('notifyChoiceTitle', 'Bilibili')")
    assert title == "Bilibili: personalised recommendations are back on"
    browser.in_worker("chrome.notifications.clear('feedlens-choice-bilibili')")
    browser.in_worker("feedlensChoiceWatch.checkChoices()")
    assert browser.in_worker("chrome.notifications.getAll()") == {}


def test_a_notification_click_opens_the_choices_page_logged_in(browser, feedlens, revert):
    """What a click on the notification does (choice-watch.js calls it; tests/js checks that
    the click asks for /choices): a one-time login link that lands on the choices page."""
    with browser.context.expect_page() as opened:
        browser.worker.evaluate("openDashboard('/choices')")
    page = opened.value
    page.wait_for_url("**/choices**")
    section = page.wait_for_selector('section[data-platform="bilibili"]')
    assert section.get_attribute("data-status") == "reverted"
    assert "code=" not in page.url
    page.close()


def test_declaring_on_in_the_page_silences_the_platform(browser, feedlens, revert):
    dashboard = dashboard_page(browser, feedlens)
    dashboard.goto(f"http://127.0.0.1:{feedlens.service_port}/choices?lang=en")
    form = dashboard.locator('#declare-bilibili form[action="/choices/declare"]')
    try:
        form.locator("select[name=state]").select_option("on")
        form.locator("button").click()
        dashboard.wait_for_url("**notice=declared_on**")
        assert dashboard.locator('section[data-platform="bilibili"]').get_attribute("data-status") == "declared_on"
        assert {t["declared"] for t in api(feedlens, "/api/choices?platform=bilibili")["choices"]} == {"personalised"}
    finally:
        form = dashboard.locator('#declare-bilibili form[action="/choices/declare"]')
        form.locator("select[name=state]").select_option("withdraw")
        form.locator("button").click()
        dashboard.wait_for_url("**notice=withdrawn**")
    assert {t["declared"] for t in api(feedlens, "/api/choices?platform=bilibili")["choices"]} == {None}
    dashboard.close()


def test_from_the_revert_to_a_prepared_complaint(browser, feedlens, revert, tmp_path):
    dashboard = dashboard_page(browser, feedlens)
    dashboard.goto(f"http://127.0.0.1:{feedlens.service_port}/choices?lang=en")
    form = dashboard.locator(f'form.complaint[data-revert="{revert["id"]}"]')
    form.locator("select[name=jurisdiction]").select_option("cn")
    form.locator("button").click()
    dashboard.wait_for_url("**/reports/*?lang=en")
    texts = {p.get_attribute("data-part"): p.text_content() for p in dashboard.locator("pre[data-part]").all()}
    assert set(texts) == {"complaint-cn.en.txt", "complaint-cn.zh.txt"}
    assert "12377" in texts["complaint-cn.en.txt"] and "第十七条" in texts["complaint-cn.zh.txt"]
    assert "disable_rcmd" in texts["complaint-cn.en.txt"]  # the evidence, in words

    with dashboard.expect_download() as download:
        dashboard.locator("#bundle-download").click()
    path = tmp_path / "bundle.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        files = {name.rsplit("/", 1)[-1]: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files["manifest.json"])
    assert {"revert.json", "history.json", "context.json", "complaint-cn.zh.txt"} <= {p["name"] for p in manifest["parts"]}
    for part in manifest["parts"]:
        assert hashlib.sha256(files[part["name"]]).hexdigest() == part["sha256"], part["name"]
        assert len(files[part["name"]]) == part["size"]
    assert json.loads(files["revert.json"])["id"] == revert["id"]
    for name, data in files.items():
        for secret in revert["secrets"]:
            assert secret.encode() not in data, (name, secret[:4])
    dashboard.close()
