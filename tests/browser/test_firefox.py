"""The extension in Debian's Firefox ESR, over WebDriver BiDi: the AMO package installed as a
temporary add-on, paired through its options page, on the same test pages behind the same real
`feedlens run` as the Chromium tests, with the same assertions (test_pages.py, test_reports.py):
badges, the why-overlay, the popup, an item action with undo, a report sent to the platform;
and Firefox's own step, host access given back from the options page after the user took it
away. One Firefox for the whole module."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from feedlens import pairing
from tests.e2e.conftest import wait_until

from .conftest import ARTIFACTS, store_rows, wait_badges
from .firefox import UUID, build_xpi, launch, require_firefox
from .firefox_shadow import FirefoxShadow
from .reports_support import api_choice, pick, sent_once_and_submitted, toast
from .site import URLS
from .test_pages import (MIN_MARKED, api, badges_match_marks, blur_reveals_on_click,
                         hide_personalized_on_and_off, logged_rules, marks_for)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def firefox(feedlens, tmp_path_factory):
    require_firefox()
    wait_until(feedlens.ca.exists, 30, "the mitmproxy CA")
    tmp = tmp_path_factory.mktemp("firefox")
    firefox = launch(tmp / "profile", build_xpi(tmp / "stores"), proxy_port=feedlens.proxy_port)
    try:
        pair(firefox, feedlens)
        yield firefox
        assert not firefox.errors(), firefox.errors()
    finally:
        firefox.stop()


def pair(firefox, feedlens) -> None:
    """As a user does: the options page, the address and a code from `feedlens pair`, a click."""
    code, _ = pairing.new_code(feedlens.data_dir)
    page = firefox.open_page("options.html")
    firefox.fill(page, "#url", f"http://127.0.0.1:{feedlens.service_port}")
    firefox.fill(page, "#code", code)
    firefox.click_selector(page, "button[type=submit]")
    firefox.wait(page, "document.getElementById('status').className === 'ok'", 15, "pairing")
    firefox.close(page)


def open_feed(firefox, name: str) -> tuple[str, FirefoxShadow]:
    page = firefox.open(URLS[name])
    firefox.wait(page, "Number(document.documentElement.dataset.feedPages || 0) >= 1", 20, f"the {name} feed")
    return page, FirefoxShadow(firefox, page)


def screenshot(firefox, page: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    data = firefox.bidi.send("browsingContext.captureScreenshot", {"context": page})["data"]
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(data))
    return path


def test_the_amo_package_installs_and_pairs_as_this_firefox_add_on(firefox, feedlens):
    assert int(firefox.version.split(".")[0]) >= 140  # the manifest's strict_min_version
    assert pairing.paired_origin(feedlens.data_dir) == f"moz-extension://{UUID}"
    assert feedlens.api("/api/extension/state", origin=f"moz-extension://{UUID}")[0] == 200
    # Firefox runs background.scripts as an event page, not a service worker.
    assert firefox.evaluate(firefox.home, "browser.runtime.getManifest().background.service_worker") is None


@pytest.mark.parametrize("platform", ["bilibili", "x", "youtube"])
def test_badges_show_the_engines_provenance(firefox, feedlens, platform):
    page, shadow = open_feed(firefox, platform)
    badges = wait_badges(shadow, platform, MIN_MARKED[platform])
    marks = marks_for(feedlens, platform, [b.id for b in badges if b.id])
    badges_match_marks(badges, marks)
    assert screenshot(firefox, page, f"firefox-{platform}-en").stat().st_size > 10_000
    firefox.close(page)


def test_why_overlay_shows_reason_evidence_and_rules(firefox, feedlens):
    page, shadow = open_feed(firefox, "bilibili")
    badges = {b.id: b for b in wait_badges(shadow, "bilibili", 5)}
    mark = marks_for(feedlens, "bilibili", ["BV1Kq2YBpEy7"])["BV1Kq2YBpEy7"]
    shadow.hover(badges["BV1Kq2YBpEy7"].node)
    text, buttons = wait_until(lambda: shadow.overlay(), 5, "the why-overlay")
    assert "Following" in text and "From an account you follow" in text
    assert mark["reason"] in text and any(rule in text for rule in logged_rules(feedlens, "BV1Kq2YBpEy7"))
    assert f"{mark['evidence'][0]['path']} = " in text
    assert "no rule of yours matched" in text
    assert {"Hide this author", "Always show this author", "Hide items like this…", "Report…"} <= set(buttons)
    screenshot(firefox, page, "firefox-bilibili-overlay-en")

    # The server-rendered card has no mark: the profile's keyword rule blurred it on the page.
    fallback = badges["BV1Gz4y1X7aB"]
    assert fallback.provenance == "unmarked" and fallback.decision == "blur"
    firefox.move(page, 5, 5)
    shadow.hover(fallback.node)
    text, _ = wait_until(lambda: (o := shadow.overlay()) and "blur-gacha" in o[0] and o, 5, "the fallback overlay")
    assert "matched its visible text or author" in text
    firefox.close(page)


def test_blur_reveals_on_click(firefox):
    page, shadow = open_feed(firefox, "youtube")
    blur_reveals_on_click(shadow, lambda expression: firefox.evaluate(page, expression))
    firefox.close(page)


def test_popup_counts_equal_the_store(firefox, feedlens):
    page, shadow = open_feed(firefox, "bilibili")
    wait_badges(shadow, "bilibili", 5)
    since = firefox.evaluate(page, "performance.timeOrigin") / 1000
    tab = firefox.tab_id(URLS["bilibili"])
    popup = firefox.open_page(f"popup.html?tab={tab}")
    firefox.wait(popup, "document.querySelectorAll('#legend li').length > 0", 10, "the popup's legend")
    shown = {kind: int(count) for kind, count in firefox.evaluate(popup, """[...document.querySelectorAll(
        "#legend li")].map((li) => [li.dataset.provenance, li.dataset.count])""")}
    assert shown == store_rows(feedlens, "bilibili", since)
    assert sum(shown.values()) >= 7
    health = firefox.evaluate(popup, "document.getElementById('health').innerText")
    assert "Paired" in health and "Proxy seen" in health and "CA trusted" in health
    assert "browser-e2e" in firefox.evaluate(popup, "document.getElementById('profile-name').innerText")
    screenshot(firefox, popup, "firefox-popup-en")
    firefox.close(popup)
    firefox.close(page)


def test_popup_switch_on_and_off(firefox, feedlens):
    page, _ = open_feed(firefox, "x")
    popup = firefox.open_page(f"popup.html?tab={firefox.tab_id(URLS['x'])}")
    firefox.wait(popup, "!document.getElementById('controls').hidden", 10, "the popup's switches")

    def set_checked(selector: str, on: bool) -> None:
        checked = f"document.querySelector({json.dumps(selector)}).checked"
        if firefox.evaluate(popup, checked) != on:
            firefox.click_selector(popup, selector)
        firefox.wait(popup, f"{checked} === {json.dumps(on)}", 5, f"{selector} {on}")

    hide_personalized_on_and_off(feedlens, set_checked)
    firefox.close(popup)
    firefox.close(page)


def test_hide_author_applies_at_once_and_undo(firefox, feedlens):
    page, shadow = open_feed(firefox, "x")
    badge = next(b for b in wait_badges(shadow, "x", 5) if b.id == "1991300418207981568")
    shadow.click(badge.node)
    _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
    shadow.click(buttons["Hide this author"])
    firefox.wait(page, "document.querySelector('article[data-feedlens-hide]') !== null", 10, "the hidden item")
    toast, toast_buttons = wait_until(lambda: shadow.overlay("toast"), 5, "the toast")
    assert "kofi_builds" in toast
    layer = Path(api(feedlens, "/api/my-rules")["path"])
    assert "ext-hide-author" in layer.read_text()
    assert "ext-hide-author" not in (feedlens.extra["rules"] / "profiles" / "browser-e2e.yaml").read_text()
    shadow.click(toast_buttons["Undo"])
    firefox.wait(page, "document.querySelector('article[data-feedlens-hide]') === null", 10, "the item back")
    wait_until(lambda: "ext-hide-author" not in layer.read_text(), 5, "the rule to go")
    firefox.close(page)


def test_report_sends_exactly_one_request_and_is_submitted(firefox, feedlens, site):
    site.reports.reset()  # what the platform received is this test's alone, whichever tests ran before
    category = api_choice(feedlens)
    page, shadow = open_feed(firefox, "bilibili")
    badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == "BV1Kq2YBpEy7")
    pick(shadow, badge, category, "标题与内容不符 test")
    toast(shadow, "Report submitted to the platform")
    screenshot(firefox, page, "firefox-bilibili-report-submitted-en")
    sent_once_and_submitted(site, feedlens, "BV1Kq2YBpEy7", category, "标题与内容不符 test")
    firefox.close(page)


def test_options_page_asks_back_the_site_access_the_user_took_away(firefox):
    options = firefox.open_page("options.html")
    assert firefox.evaluate(options, "document.getElementById('access').hidden") is True
    # As about:addons → Permissions does: the feed sites' access taken back.
    firefox.evaluate(options, "browser.permissions.remove({origins: ['https://*.bilibili.com/*']})")
    firefox.close(options)
    options = firefox.open_page("options.html")
    firefox.wait(options, "!document.getElementById('access').hidden", 5, "the access notice")
    why = firefox.evaluate(options, "document.getElementById('access').innerText")
    assert "your feedlens service on this computer and the feed sites" in why
    firefox.click_selector(options, "#grant-access")
    firefox.wait(options, "document.getElementById('access').hidden", 5, "the notice to go")
    assert firefox.evaluate(options, "browser.permissions.contains({origins: ['https://*.bilibili.com/*']})")
    firefox.close(options)
