"""From install to a marked feed: the welcome page, "Pair now" in the unpaired popup, the notice
on a feed page the proxy did not see, the hover text of badges without a mark, and the report
picker on an ad. Chromium with the extension and the real `feedlens run`.

Screenshots (en and zh) go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from feedlens import pairing
from tests.e2e.conftest import wait_until

from . import conftest
from .conftest import (ARTIFACTS, Shadow, _attrs, _find, _text, _walk, launch, open_feed, settle,
                       spki_hash, start_feedlens, wait_badges)

pytestmark = pytest.mark.browser

AD = "BV1xQ4y1k7Zs"  # the promoted card of the Bilibili test page
TEXT = {"en": {"pair_now": "Pair now", "reachable": "Service reachable", "paired": "Paired",
               "unseen": "feedlens did not see this page's feed", "not_seen": "not seen by the proxy",
               "report": "Report…", "api": "Sent directly by feedlens from this page",
               "manual": "Copied to the clipboard: you finish on the platform's page"},
        "zh": {"pair_now": "立即配对", "reachable": "服务可访问", "paired": "已配对",
               "unseen": "feedlens 没有看到本页的信息流", "not_seen": "代理没有看到这条内容",
               "report": "举报…", "api": "由 feedlens 从本页直接提交", "manual": "在平台页面上完成举报"}}
LANGS = {"en": "en-US", "zh": "zh-CN"}


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def feedlens(site, site_certs, tmp_path_factory):
    """Ads labelled, not hidden (the shared profile hides them: then no ad card to report)."""
    labelled = conftest.PROFILE_YAML.replace("when: {provenance: promoted}\n    action: hide",
                                             "when: {provenance: promoted}\n    action: label")
    assert labelled != conftest.PROFILE_YAML
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "PROFILE_YAML", labelled)
        instance = start_feedlens(tmp_path_factory.mktemp("feedlens-first-run"), site, site_certs)
    yield instance
    instance.proc.stop()


def fresh_browser(playwright, feedlens, tmp_path_factory, lang: str):
    """Installed just now, through the proxy, not paired."""
    wait_until(feedlens.ca.exists, 30, "the mitmproxy CA")
    return launch(playwright, tmp_path_factory.mktemp(f"chromium-first-{lang}"), lang=LANGS[lang],
                  proxy_port=feedlens.proxy_port, spki=[spki_hash(feedlens.ca)])


def tab_urls(browser) -> list[str]:
    return browser.in_worker("chrome.tabs.query({}).then(tabs => tabs.map(t => t.url || t.pendingUrl || ''))")


def pair_on_welcome(browser, feedlens, lang: str):
    page = browser.new_page()
    page.goto(browser.url("welcome.html#pair"))
    page.fill("#url", f"http://127.0.0.1:{feedlens.service_port}")
    code, _ = pairing.new_code(feedlens.data_dir)  # what `feedlens pair` prints
    page.fill("#code", code)
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("#pair-status.ok", timeout=15_000)
    page.wait_for_selector("#health li[data-check=paired].ok")
    assert TEXT[lang]["reachable"] in page.locator("#health").inner_text()
    return page


def popup(browser, tab: int | None = None):
    page = browser.new_page()
    page.set_viewport_size({"width": 360, "height": 520})
    page.goto(browser.url("popup.html" + (f"?tab={tab}" if tab is not None else "")))
    return page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_install_welcome_pair_now_and_status(playwright_instance, feedlens, tmp_path_factory, lang):
    browser = fresh_browser(playwright_instance, feedlens, tmp_path_factory, lang)
    try:
        wait_until(lambda: any(u.endswith("/welcome.html") for u in tab_urls(browser)), 10,
                   "the welcome page opened on install")
        unpaired = popup(browser)
        unpaired.wait_for_selector("#pair-now:visible")
        assert unpaired.locator("#pair-now").inner_text() == TEXT[lang]["pair_now"]
        shot(unpaired, f"popup-unpaired-{lang}")
        unpaired.click("#pair-now")
        wait_until(lambda: any(u.endswith("/welcome.html#pair") for u in tab_urls(browser)), 10,
                   "Pair now opened the welcome page's pairing step")

        welcome = pair_on_welcome(browser, feedlens, lang)
        feed = open_feed(browser, "bilibili")  # through the proxy: the status sees the feed
        wait_badges(Shadow(feed), "bilibili", 5)
        welcome.bring_to_front()
        welcome.click("#recheck")
        welcome.wait_for_selector("#health li[data-check=proxy].ok")
        welcome.wait_for_selector("#done:visible")
        shot(welcome, f"welcome-{lang}")

        paired = popup(browser, browser.tab_id(feed))
        paired.wait_for_selector("#legend li")
        assert TEXT[lang]["paired"] in paired.locator("#health").inner_text()
        assert paired.locator("#pair-now").is_hidden()
        shot(paired, f"popup-paired-{lang}")
    finally:
        browser.context.close()
    assert not browser.errors, browser.errors


# ---- the report picker on an ad ----------------------------------------------------------------

def panel(shadow: Shadow):
    host = _find(shadow.document(), lambda n: n.get("nodeName") == "FEEDLENS-OVERLAY")
    box = host and _find(host["shadowRoots"][0], lambda n: _attrs(n).get("class") == "panel")
    return None if box is None or "hidden" in _attrs(box) else box


def listed(shadow: Shadow) -> dict[str, str]:
    """category -> the option's text, in the order shown."""
    box = panel(shadow)
    return {} if box is None else {_attrs(n)["data-category"]: _text(n) for n, _ in _walk(box)
                                   if "data-category" in _attrs(n)}


def search_matches(choice: dict, word: str) -> bool:
    reason = choice["reason"] or {}
    return any(word in (text or "") for text in (choice["label"], choice["group_label"], reason.get("label"),
                                                 reason.get("zh"), reason.get("en")))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_picker_on_an_ad_starts_with_ad_reasons_searches_and_says_how_it_is_filed(
        playwright_instance, feedlens, tmp_path_factory, lang):
    browser = fresh_browser(playwright_instance, feedlens, tmp_path_factory, lang)
    try:
        browser.pair(feedlens)
        page = open_feed(browser, "bilibili")
        shadow = Shadow(page)
        ad = next(b for b in wait_badges(shadow, "bilibili", 5) if b.id == AD)
        assert ad.provenance == "promoted"
        shadow.click(ad.node)
        _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
        shadow.click(buttons[TEXT[lang]["report"]])
        shown = wait_until(lambda: listed(shadow), 10, "the ad reasons")
        expected = choices(feedlens, lang)
        ads = [c["category"] for c in expected if "ad" in c["topics"]]
        assert list(shown) == ads and "cn.ad.unlabelled" in ads  # preselected: ad reasons only, file order
        for choice in expected:
            if choice["category"] in shown:
                text = shown[choice["category"]]
                assert choice["label"] in text
                assert TEXT[lang]["api" if choice["mode"] == "api" else "manual"] in text, (choice, text)
        # Bilibili takes reports of ad cards only on its own page: every option must say so (the
        # sent-directly wording for video categories is checked in test_reports.py).
        assert {c["mode"] for c in expected if c["category"] in shown} == {"manual"}
        shot(page, f"report-picker-ad-{lang}")

        word = "谣言" if lang == "zh" else "rumour"
        search = _find(panel(shadow), lambda n: "report-search" in _attrs(n).get("class", ""))
        shadow.click(search["backendNodeId"])
        page.keyboard.type(word)
        want = [c["category"] for c in expected if search_matches(c, word)]
        assert want  # the search has something to find
        wait_until(lambda: list(listed(shadow)) == want, 5, f"the search for {word!r}")
        shot(page, f"report-picker-search-{lang}")
        page.close()
    finally:
        browser.context.close()
    assert not browser.errors, browser.errors


def service(feedlens, path: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{feedlens.service_port}{path}",
                                     headers={"Authorization": f"Bearer {feedlens.token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def choices(feedlens, lang: str) -> list[dict]:
    """What the picker reads for the ad: the choices endpoint for the kind of item its mark says."""
    kind = service(feedlens, f"/api/marks?platform=bilibili&ids={AD}")["marks"][AD].get("kind") or ""
    return service(feedlens, f"/api/reports/choices?platform=bilibili&kind={kind}&lang={lang}")["choices"]


# ---- a feed page the proxy did not see ---------------------------------------------------------

def hint(shadow: Shadow):
    """(text, {button class: backend node id}) of the unseen-feed notice, or None."""
    host = _find(shadow.document(), lambda n: n.get("nodeName") == "FEEDLENS-HINT")
    if host is None:
        return None
    root = host["shadowRoots"][0]
    return _text(root), {_attrs(n).get("class"): n["backendNodeId"] for n, _ in _walk(root)
                         if n.get("nodeName") == "BUTTON"}


def badge_titles(shadow: Shadow) -> list[str]:
    out = []
    for node, _ in _walk(shadow.document()):
        if node.get("nodeName") == "FEEDLENS-BADGE" and node.get("shadowRoots"):
            button = _find(node["shadowRoots"][0], lambda n: "badge" in _attrs(n).get("class", "").split())
            if button is not None:
                out.append(_attrs(button).get("title", ""))
    return out


@pytest.fixture(scope="module")
def unproxied(playwright_instance, site, site_certs, tmp_path_factory):
    """Paired with a running feedlens, but the browser goes straight to the site: no marks."""
    instance = start_feedlens(tmp_path_factory.mktemp("feedlens-unseen"), site, site_certs)
    browser = launch(playwright_instance, tmp_path_factory.mktemp("chromium-unseen"),
                     spki=[spki_hash(site_certs / "server.pem")], resolve=site.port)
    browser.pair(instance)
    yield browser
    browser.context.close()
    instance.proc.stop()
    assert not browser.errors, browser.errors


def test_unseen_feed_shows_one_notice_and_badges_say_why(unproxied):
    page = open_feed(unproxied, "bilibili")
    shadow = Shadow(page)
    text, buttons = wait_until(lambda: hint(shadow), 15, "the unseen-feed notice")
    assert TEXT["en"]["unseen"] in text and {"fix", "dismiss", "close"} <= set(buttons)
    titles = wait_until(lambda: badge_titles(shadow) or None, 5, "the unmarked badges")
    assert all(TEXT["en"]["not_seen"] in title for title in titles), titles
    shot(page, "unseen-feed-hint-en")
    shadow.click(buttons["fix"])  # how to fix: the welcome page's proxy step
    wait_until(lambda: any(u.endswith("/welcome.html#proxy") for u in tab_urls(unproxied)), 10,
               "the welcome page's proxy step")
    page.bring_to_front()
    shadow.click(buttons["dismiss"])
    wait_until(lambda: hint(shadow) is None, 5, "the notice gone")
    page.reload(wait_until="domcontentloaded")
    page.wait_for_function("Number(document.documentElement.dataset.feedPages || 0) >= 1")
    wait_until(lambda: badge_titles(shadow) or None, 15, "the badges after reload")
    settle(4)  # every answer is in (marks are asked again three times over ~2.6 s)
    assert hint(shadow) is None  # dismissed for this site: not again
    page.close()


def test_no_notice_when_the_proxy_marked_the_feed(playwright_instance, feedlens, tmp_path_factory):
    browser = fresh_browser(playwright_instance, feedlens, tmp_path_factory, "en")
    try:
        browser.pair(feedlens)
        page = open_feed(browser, "bilibili")
        shadow = Shadow(page)
        wait_badges(shadow, "bilibili", 5)
        settle(4)
        assert hint(shadow) is None
        page.close()
    finally:
        browser.context.close()
    assert not browser.errors, browser.errors
