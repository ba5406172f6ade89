"""Reporting an item, end to end: Chromium with the extension, the real `feedlens run` proxy and
service, and Bilibili's report endpoints on the test site (tests/e2e/bilibili_reports.py).

Click Report on a card, pick a category: the service stores the report and its evidence first,
the page sends exactly one request with the user's own session, the status comes back; the
exported bundle verifies (and stops verifying when a byte changes). A second report of the same
item is a duplicate; with the endpoint down the report fails, is kept, and a Retry from the
history page sends it once the endpoint is back. The picker speaks the browser's language.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_until

from . import conftest
from .conftest import ROOT, Shadow, open_feed, proxied_browser, screenshot, start_feedlens, wait_badges
from .reports_support import (api_choice, bv2av, manual_choice, open_picker, pick, picker, received,
                              reports_of, sent_once_and_submitted, service, toast, topics)

pytestmark = pytest.mark.browser

EXTENSION = ROOT / "extension"
# Cards of the Bilibili test page (web-home-recommend fixture); one per test, so each test's
# reports are its own whichever order the tests run in.
FIRST, DUPLICATE, DOWN, MANUAL, SHOT = ("BV1Kq2YBpEy7", "BV1Tg2YBfE3s", "BV1vW2YBtE8q",
                                        "BV1aB2YBuEzx", "BV1nS2YBpEAt")


def test_bv2av_matches_a_known_pair():
    assert bv2av("BV1L9Uoa9EUx") == 111298867365120


# ---- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def feedlens(site, site_certs, tmp_path_factory):
    """A feedlens of its own: fresh reports tables, and no wait between two reports (the
    per-platform limit has its own tests; here it would only make the test sleep)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEEDLENS_REPORT_MIN_INTERVAL", "0")
        instance = start_feedlens(tmp_path_factory.mktemp("feedlens-reports"), site, site_certs)
    site.reports.reset()  # the platform has seen none of this module's reports (the Firefox one
    site.reports.too_fast = 0  # may have reported the same item in this session before)
    yield instance
    instance.proc.stop()


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-reports"), "en-US")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


# ---- helpers ----------------------------------------------------------------------------------

def report_card(browser, item_id: str, category: dict, description: str = ""):
    page = open_feed(browser, "bilibili")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == item_id)
    pick(shadow, badge, category, description)
    return page, shadow


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "feedlens.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def with_one_byte_changed(source: Path, target: Path, part: str) -> None:
    """The same zip with one byte of one part flipped (a well-formed zip: only the hash differs)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                data = bytes([data[0] ^ 0x01]) + data[1:]
            new.writestr(info, data)


# ---- the tests --------------------------------------------------------------------------------

def test_report_sends_exactly_one_request_and_the_bundle_verifies(browser, feedlens, site, tmp_path):
    category = api_choice(feedlens)
    page, shadow = report_card(browser, FIRST, category, "标题与内容不符 test")
    toast(shadow, "Report submitted to the platform")
    screenshot(page, "bilibili-report-submitted-en")

    report = sent_once_and_submitted(site, feedlens, FIRST, category, "标题与内容不符 test")

    bundle = tmp_path / "bundle.zip"
    exported = cli("reports", "export", str(report["id"]), "--data-dir", str(feedlens.data_dir), "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    ok = cli("reports", "verify", str(bundle))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        assert {"item.json", "context.json", "request.json", "manifest.json"} <= names
        item = json.loads(archive.read("item.json"))
        everything = b"".join(archive.read(name) for name in names)
    assert FIRST in json.dumps(item, ensure_ascii=False)
    assert site.bilibili_session["bili_jct"].encode() not in everything  # the cookie stayed in the browser
    assert site.bilibili_session["SESSDATA"].encode() not in everything

    changed = tmp_path / "changed.zip"
    with_one_byte_changed(bundle, changed, "item.json")
    refused = cli("reports", "verify", str(changed))
    assert refused.returncode == 1 and "item.json" in refused.stdout + refused.stderr
    flipped = tmp_path / "flipped.zip"
    raw = bytearray(bundle.read_bytes())
    raw[len(raw) // 3] ^= 0x01  # anywhere in the file: a compressed byte, a header, a hash
    flipped.write_bytes(bytes(raw))
    assert cli("reports", "verify", str(flipped)).returncode != 0
    page.close()


def test_second_report_of_the_same_item_is_a_duplicate(browser, feedlens, site):
    category = api_choice(feedlens)
    aid = bv2av(DUPLICATE)
    page, shadow = report_card(browser, DUPLICATE, category)
    toast(shadow, "Report submitted to the platform")
    page.close()

    page, shadow = report_card(browser, DUPLICATE, category)
    toast(shadow, "Already reported")
    codes = [r["code"] for r in received(site, aid)]
    assert codes == [0, 12008]  # one request per click
    statuses = sorted(r["status"] for r in reports_of(feedlens, DUPLICATE))
    assert statuses == ["duplicate", "submitted"]
    page.close()


def test_endpoint_down_fails_keeps_the_report_and_retry_sends_it(browser, feedlens, site):
    category = api_choice(feedlens)
    aid = bv2av(DOWN)
    site.reports.down = True
    try:
        page, shadow = report_card(browser, DOWN, category)
        toast(shadow, "The report failed. It is kept")
        [report] = reports_of(feedlens, DOWN)
        assert report["status"] == "failed" and report["retryable"], report
        assert [r["status"] for r in received(site, aid)] == [503]
        detail = service(feedlens, f"/api/reports/{report['id']}")
        assert {"item.json", "context.json", "manifest.json"} <= {p["name"] for p in detail["bundle"]["parts"]}
        page.close()
    finally:
        site.reports.down = False

    history = browser.new_page()
    history.goto(browser.url("report.html"))
    row = history.locator(f"tr[data-id='{report['id']}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "failed"
    # No Bilibili tab is open: the history says so and sends nothing.
    row.locator("button.retry").click()
    history.wait_for_selector("#problem:not([hidden])")
    assert "Open a page of bilibili" in history.locator("#problem").inner_text()
    assert len(received(site, aid)) == 1
    assert reports_of(feedlens, DOWN)[0]["status"] == "failed"

    page = open_feed(browser, "bilibili")
    history.bring_to_front()
    row.locator("button.retry").click()
    history.wait_for_selector(f"tr[data-id='{report['id']}'][data-status='submitted']")
    screenshot(history, "report-history-en")
    got = received(site, aid)
    assert [(r["status"], r["code"]) for r in got] == [(503, None), (200, 0)]
    assert got[1]["fields"]["csrf"] == site.bilibili_session["bili_jct"]
    [report] = reports_of(feedlens, DOWN)
    assert report["status"] == "submitted" and report["attempts"] == 2
    history.close()
    page.close()


def test_picker_in_chinese(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-reports-zh"), "zh-CN")
    try:
        page = open_feed(browser, "bilibili")
        shadow = Shadow(page)
        badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == FIRST)
        assert open_picker(shadow, badge, "举报…") == {}  # the plain question comes first
        expected = service(feedlens, "/api/reports/choices?platform=bilibili&kind=video&lang=zh")["choices"]
        shown = {}
        for topic, node in topics(shadow).items():  # every category is behind one of its answers
            shadow.click(node)
            listed = wait_until(lambda: picker(shadow), 10, f"the {topic} categories")
            assert {c["category"] for c in expected if topic in c["topics"]} == set(listed)
            shown.update(listed)
        assert set(shown) == {c["category"] for c in expected}
        for choice in expected:
            assert shown[choice["category"]].text.startswith(choice["label"]), (shown[choice["category"]], choice)
            if choice["mode"] == "api" and choice["reason"]:
                reason = choice["reason"].get("zh") or choice["reason"]["label"]
                assert f"由 feedlens 从本页直接提交，平台理由：{reason}" in shown[choice["category"]].text
            else:
                assert "在平台页面上完成举报" in shown[choice["category"]].text
        english = {c["category"]: c["label"] for c in service(
            feedlens, "/api/reports/choices?platform=bilibili&kind=video&lang=en")["choices"]}
        assert any(shown[c].text != english[c] for c in shown)  # not the English labels
        text = shadow.panel_text()
        assert "向平台举报" in text and "补充说明" in text
        screenshot(page, "bilibili-report-picker-zh")
        page.close()
    finally:
        browser.context.close()
    assert not browser.errors, browser.errors


def test_page_side_report_code_never_touches_the_token():
    text = (EXTENSION / "report-ui.js").read_text(encoding="utf-8")
    assert "token" not in text.lower() and "storage" not in text



def test_manual_category_copies_the_text_and_opens_the_platform_page(browser, feedlens, site):
    category = manual_choice(feedlens)
    browser.context.grant_permissions(["clipboard-read", "clipboard-write"], origin="https://www.bilibili.com")
    page = open_feed(browser, "bilibili")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == MANUAL)
    choices = open_picker(shadow, badge, topic=category["topics"][0])
    assert "Copied to the clipboard: you finish on the platform's page" in choices[category["category"]].text
    with browser.context.expect_page(timeout=20_000) as opened:
        shadow.click(choices[category["category"]].node)
    toast(shadow, "Finish on the platform's page: the report text is on the clipboard")
    [report] = reports_of(feedlens, MANUAL)
    assert report["status"] == "manual" and report["mode"] == "manual"
    platform_page = opened.value
    manual_url = service(feedlens, f"/api/reports/{report['id']}")["request"]["manual_url"]
    assert platform_page.url == manual_url and MANUAL in platform_page.url
    page.bring_to_front()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert category["ref"] in copied and MANUAL in copied  # in the platform's language
    assert received(site, bv2av(MANUAL)) == []  # nothing was sent to the platform's API
    platform_page.wait_for_load_state()  # loaded: a page closed mid-commit can hang
    platform_page.close()

    history = browser.new_page()
    history.goto(browser.url("report.html"))
    row = history.locator(f"tr[data-id='{report['id']}'][data-status='manual']")
    with browser.context.expect_page(timeout=20_000) as again:
        row.locator("button.manual").click()
    assert again.value.url == manual_url
    again.value.wait_for_load_state()  # loaded: a page closed mid-commit can hang
    again.value.close()
    history.close()
    page.close()


def test_screenshot_goes_into_the_bundle_when_allowed(playwright_instance, feedlens, site, tmp_path_factory):
    """With access to all sites granted (the options page asks for it; a headless browser cannot
    answer that prompt, so this copy of the extension has it from install) the bundle gets a
    screenshot of the visible tab."""
    granted = tmp_path_factory.mktemp("extension-screenshots") / "extension"
    shutil.copytree(EXTENSION, granted)
    manifest = json.loads((granted / "manifest.json").read_text())
    manifest["host_permissions"].append(manifest.pop("optional_host_permissions")[0])
    (granted / "manifest.json").write_text(json.dumps(manifest))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "EXTENSION", granted)
        browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-shot"), "en-US")
    try:
        page, shadow = report_card(browser, SHOT, api_choice(feedlens))
        toast(shadow, "Report submitted to the platform")
        [report] = reports_of(feedlens, SHOT)
        detail = service(feedlens, f"/api/reports/{report['id']}")
        parts = {p["name"]: p for p in detail["bundle"]["parts"]}
        assert parts["screenshot.png"]["media_type"] == "image/png" and parts["screenshot.png"]["size"] > 10_000
        assert "screenshot.png" in json.dumps(detail["bundle"]["manifest"])
        page.close()
    finally:
        browser.context.close()
    assert not browser.errors, browser.errors
