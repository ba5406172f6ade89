"""The extension on Bilibili, X and YouTube test pages, through the real proxy (English UI)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_until

from .conftest import (Shadow, open_feed, proxied_browser, screenshot, settle, store_rows,
                       wait_badges)

pytestmark = pytest.mark.browser

WORDS = {"followed": "Following", "personalized": "Personalised", "popular": "Popular",
         "promoted": "Ad", "unmarked": "Not seen"}
MIN_MARKED = {"bilibili": 5, "x": 5, "youtube": 5}
# Every href the page ever added, recorded from the page itself: proves "never rendered".
RECORD_LINKS = """
window.__links = new Set();
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType !== 1) continue;
    for (const a of [n, ...n.querySelectorAll('a[href]')]) if (a.href) window.__links.add(a.href);
  }
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-en"), "en-US")
    browser.context.add_init_script(RECORD_LINKS)
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


def api(feedlens, path: str, body: dict | None = None, headers: dict | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{feedlens.service_port}{path}", method="POST" if body else "GET",
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {feedlens.token}", "Content-Type": "application/json",
                 **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def set_parent_pin(feedlens, pin: str) -> None:
    subprocess.run([sys.executable, "-m", "feedlens.cli", "parent", "--data-dir", str(feedlens.data_dir),
                    "set-pin", "--pin-stdin", "--reset"], input=pin + "\n", text=True, check=True,
                   capture_output=True)


def marks_for(feedlens, platform: str, ids) -> dict:
    query = ",".join(sorted(set(ids)))
    return api(feedlens, f"/api/marks?platform={platform}&ids={query}")["marks"]


def badges_match_marks(badges, marks: dict) -> None:
    """Each badge says what the store recorded for its item (provenance, decision, the word);
    an item the store has no mark for shows "unmarked", and no badge claims a mark it lacks."""
    for badge in badges:
        mark = marks.get(badge.id)
        if mark is None:
            assert badge.provenance == "unmarked", badge
            continue
        assert badge.provenance == mark["provenance"], badge
        assert badge.decision == mark["decision"], badge
        assert badge.text.startswith(WORDS[mark["provenance"]]), badge
    assert {b.id for b in badges if b.provenance != "unmarked"} <= set(marks)


def logged_rules(feedlens, item_id: str) -> set[str]:
    """Every provenance rule the item log holds for this item (read-only, beside the proxy)."""
    with sqlite3.connect(f"file:{feedlens.db}?mode=ro", uri=True) as conn:  # as store_rows reads
        rows = conn.execute("SELECT DISTINCT rule FROM items WHERE item_id = ?", (item_id,))
        return {rule for (rule,) in rows}


def links(page) -> set[str]:
    return set(page.evaluate("[...window.__links]"))


@pytest.mark.parametrize("platform", ["bilibili", "x", "youtube"])
def test_badges_show_the_engines_provenance(browser, feedlens, platform):
    page = open_feed(browser, platform)
    shadow = Shadow(page)
    badges = wait_badges(shadow, platform, MIN_MARKED[platform])
    settle(0.5)  # let the last renders land before the screenshot
    marks = marks_for(feedlens, platform, [b.id for b in badges if b.id])
    badges_match_marks(badges, marks)
    path = screenshot(page, f"{platform}-en")
    assert path.stat().st_size > 10_000
    page.close()


def test_infinite_scroll_marks_new_items(browser, feedlens):
    page = open_feed(browser, "youtube")
    shadow = Shadow(page)
    wait_badges(shadow, "youtube", 5)
    page.mouse.wheel(0, 5000)  # the page loads the continuation, like youtube.com
    page.wait_for_function("Number(document.documentElement.dataset.feedPages) >= 2")
    badges = wait_until(lambda: (found := {b.id: b for b in shadow.badges("youtube")})
                        and {"Yc2mW8pLq0T", "fJ9rUzIMcZQ"} <= set(found) and found, 10, "continuation badges")
    marks = marks_for(feedlens, "youtube", ["Yc2mW8pLq0T", "fJ9rUzIMcZQ"])
    for item_id, mark in marks.items():
        assert badges[item_id].provenance == mark["provenance"]
    assert mark["endpoint"] == "browse-home"
    page.close()


def test_hidden_items_never_render(browser, feedlens):
    for platform, ad in (("bilibili", "BV1xQ4y1k7Zs"), ("x", "1988002214003851265"),
                         ("youtube", "aD5tQw1Yp3s")):
        page = open_feed(browser, platform)
        wait_badges(Shadow(page), platform, 3)
        assert marks_for(feedlens, platform, [ad])[ad]["decision"] == "hide"
        assert not any(ad in href for href in links(page)), f"{platform} rendered the hidden {ad}"
        page.close()


BLUR_FILTERS = """[...document.querySelectorAll("ytd-rich-item-renderer[data-feedlens-blur]")].map(
  (e) => getComputedStyle(e.querySelector("ytd-rich-grid-media")).filter)"""


def blur_reveals_on_click(shadow, js) -> None:
    """The YouTube page's one blurred item is blurred until its reveal button is clicked, and
    revealing it does not follow its link. `js` evaluates an expression in the page (either browser)."""
    blurred = next(b for b in wait_badges(shadow, "youtube", 5) if b.id == "q8WnT2cVx0E")
    assert blurred.decision == "blur" and blurred.reveal is not None and "hidden" not in blurred.reveal
    [blur] = js(BLUR_FILTERS)  # exactly one blurred item
    assert blur != "none"
    shadow.click(blurred.reveal_node)
    wait_until(lambda: js("document.querySelector('ytd-rich-item-renderer[data-feedlens-revealed]') !== null"),
               5, "the revealed item")
    assert js(BLUR_FILTERS) == ["none"]
    assert js("location.href") == "https://www.youtube.com/"  # revealing did not follow the link


def test_blur_reveals_on_click(browser):
    page = open_feed(browser, "youtube")
    blur_reveals_on_click(Shadow(page), page.evaluate)
    page.close()


def test_why_overlay_shows_reason_evidence_and_rules(browser, feedlens):
    page = open_feed(browser, "bilibili")
    shadow = Shadow(page)
    badges = {b.id: b for b in wait_badges(shadow, "bilibili", 5)}
    mark = marks_for(feedlens, "bilibili", ["BV1Kq2YBpEy7"])["BV1Kq2YBpEy7"]
    shadow.hover(badges["BV1Kq2YBpEy7"].node)
    text, buttons = wait_until(lambda: shadow.overlay(), 5, "the why-overlay")
    assert "Following" in text and "From an account you follow" in text
    # The item comes twice, in the home page's embedded state and in the feed API's answer;
    # the overlay shows whichever mark had been logged when the extension asked.
    assert mark["reason"] in text and any(rule in text for rule in logged_rules(feedlens, "BV1Kq2YBpEy7"))
    evidence = mark["evidence"][0]
    assert f"{evidence['path']} = " in text
    assert "no rule of yours matched" in text
    assert {"Hide this author", "Always show this author", "Hide items like this…", "Report…"} <= set(buttons)
    screenshot(page, "bilibili-overlay-en")

    # The server-rendered card has no mark: the profile's keyword rule blurred it on the page.
    fallback = badges["BV1Gz4y1X7aB"]
    assert fallback.provenance == "unmarked" and fallback.decision == "blur"
    page.mouse.move(5, 5)
    settle(0.5)
    shadow.hover(fallback.node)
    text, _ = wait_until(lambda: (o := shadow.overlay()) and "blur-gacha" in o[0] and o, 5, "the fallback overlay")
    assert "matched its visible text or author" in text
    page.close()


def test_popup_counts_equal_the_store(browser, feedlens):
    page = open_feed(browser, "bilibili")
    wait_badges(Shadow(page), "bilibili", 5)
    since = page.evaluate("performance.timeOrigin") / 1000
    tab = browser.tab_id(page)
    popup = browser.new_page()
    popup.set_viewport_size({"width": 360, "height": 520})
    popup.goto(browser.url(f"popup.html?tab={tab}"))
    popup.wait_for_selector("#legend li")
    shown = {li.get_attribute("data-provenance"): int(li.get_attribute("data-count"))
             for li in popup.locator("#legend li").all()}
    assert shown == store_rows(feedlens, "bilibili", since)
    assert sum(shown.values()) >= 7  # the server-rendered first screen and one rcmd page
    health = popup.locator("#health").inner_text()
    assert "Paired" in health and "Proxy seen" in health and "CA trusted" in health
    assert "browser-e2e" in popup.locator("#profile-name").inner_text()
    screenshot(popup, "popup-en")
    popup.close()
    page.close()


def test_hide_author_applies_at_once_and_undo(browser, feedlens):
    page = open_feed(browser, "x")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "x", 5) if b.id == "1991300418207981568")
    shadow.click(badge.node)
    _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
    shadow.click(buttons["Hide this author"])
    page.wait_for_selector("article[data-feedlens-hide]", state="attached")
    toast, toast_buttons = wait_until(lambda: shadow.overlay("toast"), 5, "the toast")
    assert "kofi_builds" in toast
    layer = Path(api(feedlens, "/api/my-rules")["path"])  # My rules, in the user's config dir
    assert "ext-hide-author" in layer.read_text()
    assert "ext-hide-author" not in (feedlens.extra["rules"] / "profiles" / "browser-e2e.yaml").read_text()
    shadow.click(toast_buttons["Undo"])
    page.wait_for_selector("article[data-feedlens-hide]", state="detached")
    wait_until(lambda: "ext-hide-author" not in layer.read_text(), 5, "the rule to go")
    page.close()


def test_hide_author_removes_their_items_after_reload(browser, feedlens):
    page = open_feed(browser, "bilibili")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == "BV1nS2YBpEAt")
    shadow.click(badge.node)
    _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
    shadow.click(buttons["Hide this author"])
    page.wait_for_selector(".feed-card[data-feedlens-hide]", state="attached")
    rule = api(feedlens, "/api/extension/state")["page_rules"][0]
    assert rule["action"] == "hide" and "390461231" in rule["when"]["author"]
    try:
        open_feed(browser, "bilibili", page=page)
        wait_badges(shadow, "bilibili", 4)
        assert not any("BV1nS2YBpEAt" in href for href in links(page))  # the proxy removed it
    finally:
        api(feedlens, "/api/extension/undo", {"id": rule["id"]})
    page.close()


def test_hide_items_like_this_prefills_the_title(browser, feedlens):
    page = open_feed(browser, "youtube")
    shadow = Shadow(page)
    badge = next(b for b in wait_badges(shadow, "youtube", 5) if b.id == "Lv7mQ2rBc9k")
    shadow.click(badge.node)
    _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
    shadow.click(buttons["Hide items like this…"])
    text, fields = wait_until(lambda: (o := shadow.overlay()) and "input" in o[1] and o, 5, "the keyword form")
    assert "Hide items containing" in text
    shadow.click(fields["input"])
    page.keyboard.press("Control+A")
    page.keyboard.type("lofi")
    page.keyboard.press("Enter")
    page.wait_for_selector("ytd-rich-item-renderer[data-feedlens-hide]", state="attached")
    toast, toast_buttons = wait_until(lambda: shadow.overlay("toast"), 5, "the toast")
    assert "lofi" in toast
    shadow.click(toast_buttons["Undo"])
    page.wait_for_selector("ytd-rich-item-renderer[data-feedlens-hide]", state="detached")
    page.close()


def hide_personalized_on_and_off(feedlens, set_checked) -> None:
    """The popup's "hide personalised" switch, on then off, as the service records it: a rule in
    My rules while the profile stays. `set_checked(selector, on)` clicks it in either browser."""
    set_checked("#switch-hide_personalized", True)
    wait_until(lambda: (s := api(feedlens, "/api/extension/state"))["switches"]["hide_personalized"]["on"]
               and s["active"] == "browser-e2e", 5, "the switch")
    set_checked("#switch-hide_personalized", False)
    wait_until(lambda: not api(feedlens, "/api/extension/state")["switches"]["hide_personalized"]["on"],
               5, "the switch back")


def test_popup_switches_and_locked_profile(browser, feedlens):
    page = open_feed(browser, "x")
    tab = browser.tab_id(page)
    popup = browser.new_page()
    popup.goto(browser.url(f"popup.html?tab={tab}"))
    popup.wait_for_selector("#controls:not([hidden])")
    hide_personalized_on_and_off(feedlens, popup.set_checked)
    # Clicked straight after, before the switch's own reply lands: that reply must not untick it.
    popup.check("#switch-pause")
    try:
        wait_until(lambda: popup.locator("#pause-label").inner_text().startswith("Paused until"), 5, "pause")
        assert api(feedlens, "/api/extension/state")["paused_until"]
        assert popup.is_disabled("#switch-chronological")
        popup.uncheck("#switch-pause")
    finally:
        api(feedlens, "/api/extension/pause", {"minutes": 0})
    wait_until(lambda: (state := api(feedlens, "/api/extension/state"))["paused_until"] is None
               and state["active"] == "browser-e2e", 5, "resume")

    locked = (feedlens.extra["rules"] / "profiles" / "browser-e2e.yaml").read_text().replace(
        "version: 1\n", "version: 1\nlocked: true\n", 1)
    (feedlens.extra["rules"] / "profiles" / "locked.yaml").write_text(locked)
    set_parent_pin(feedlens, "2468")  # leaving a locked profile needs the parent PIN
    api(feedlens, "/api/profiles/active", {"name": "locked"})
    try:
        popup.reload()
        popup.wait_for_selector("#locked:not([hidden])")
        for switch in ("#switch-hide_personalized", "#switch-chronological", "#switch-pause"):
            assert popup.is_disabled(switch)
    finally:
        api(feedlens, "/api/profiles/active", {"name": "browser-e2e"}, {"X-Feedlens-Pin": "2468"})
    popup.close()
    page.close()
