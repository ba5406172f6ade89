"""The options page's language picker: a Chinese choice in an English browser turns the
extension's pages Chinese, and a refused pairing code reads as one Chinese sentence."""

from __future__ import annotations

import re

import pytest

from feedlens import pairing

from .conftest import launch

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright_instance, tmp_path_factory):
    browser = launch(playwright_instance, tmp_path_factory.mktemp("chromium-picker"), lang="en-US")
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


def test_picking_chinese_in_an_english_browser(browser, feedlens):
    page = browser.new_page()
    page.goto(browser.url("options.html"))
    assert page.locator("h2 label[for=language]").inner_text() == "Language"
    with page.expect_navigation():  # stored, then the page reloads in it
        page.select_option("#language", "zh-CN")
    page.wait_for_function("document.documentElement.lang === 'zh-CN'")
    assert page.locator("h2 label[for=language]").inner_text() == "语言"
    assert page.locator("#language").input_value() == "zh-CN"
    pairing.new_code(feedlens.data_dir)
    page.fill("#url", f"http://127.0.0.1:{feedlens.service_port}")
    page.fill("#code", "AAAA-AAAA")
    page.click("button[type=submit]")
    page.wait_for_selector("#status.bad")
    status = page.locator("#status").inner_text()
    assert status.startswith("配对失败：配对码错误")
    assert not re.search(r"[A-Za-z]", status.replace("feedlens pair", "")), status
    popup = browser.new_page()  # every extension page follows the choice
    popup.goto(browser.url("report.html"))
    popup.wait_for_function("document.documentElement.lang === 'zh-CN'")
    popup.close()
    with page.expect_navigation():
        page.select_option("#language", "")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.close()
