"""Issue 21 in real Chromium through the real proxy: a profile "no short videos except this
channel's" on the YouTube-like test page keeps the allowlisted channel's Short, with a badge that
says it is a short video, and the other Shorts never reach the page; ordinary videos stay."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

from .conftest import ARTIFACTS, Shadow, open_feed, proxied_browser, wait_badges
from .test_pages import RECORD_LINKS, api, links

pytestmark = pytest.mark.browser
# rules/platforms/youtube.fixtures/browse-home.json: Tidewater Tapes' Short (the allowlisted
# channel), Loop Yard's Short and two Shorts of the Shorts shelf, which name no channel.
CHANNEL = "UC7kTq2Lm9Wx4Rb8Nz1Pd5Hs"
KEPT = "kS7hM2nQ4vA"
GONE = ("hS3tB8wX1pE", "Zp0oX4rU8sQ", "nT5bK1vHw2A")
PROFILE = f"""title: No short videos except my channel
version: 1
rules:
  - {{id: my-channel, when: {{format: short_video, author: [{CHANNEL}]}}, action: keep}}
  - {{id: no-shorts, when: {{format: short_video}}, action: hide}}
"""


@pytest.fixture(scope="module")
def browser(playwright_instance, feedlens, tmp_path_factory):
    browser = proxied_browser(playwright_instance, feedlens, tmp_path_factory.mktemp("chromium-shorts"), "en-US")
    browser.context.add_init_script(RECORD_LINKS)
    yield browser
    browser.context.close()
    assert not browser.errors, browser.errors


@pytest.fixture
def no_shorts(feedlens):
    (feedlens.extra["rules"] / "profiles" / "no-shorts.yaml").write_text(PROFILE, encoding="utf-8")
    before = api(feedlens, "/api/health")["profile"]["active"]
    api(feedlens, "/api/profiles/active", {"name": "no-shorts"})
    yield
    api(feedlens, "/api/profiles/active", {"name": before})


def test_only_the_allowlisted_channels_short_reaches_the_page(browser, feedlens, no_shorts):
    page = open_feed(browser, "youtube")
    shadow = Shadow(page)
    wait_badges(shadow, "youtube", 3)
    seen = links(page)
    assert any(KEPT in href for href in seen)
    assert not [video_id for video_id in GONE if any(video_id in href for href in seen)]
    assert len([h for h in seen if "/watch?v=" in h and KEPT not in h]) >= 3  # ordinary videos stay
    badge = wait_until(lambda: next((b for b in shadow.badges("youtube") if b.id == KEPT
                                     and b.provenance != "unmarked"), None), 15, "the Short's badge")
    assert "Short video" in badge.text
    page.screenshot(path=str(ARTIFACTS / "short-videos-youtube.png"))
    page.close()
