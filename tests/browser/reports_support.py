"""The report flow's checks, shared by the Chromium (test_reports.py) and Firefox
(test_firefox_reports.py) tests: the service's and the test platform's view of a report, and the
picker driven through either browser's Shadow (conftest.Shadow, firefox_shadow.FirefoxShadow:
both have panel_text, marked, click and type)."""

from __future__ import annotations

import json
import urllib.request

from tests.e2e.bilibili_reports import ORIGIN
from tests.e2e.conftest import wait_until

from .conftest import Choice

APPEAL = "/x/web-interface/archive/appeal"


def bv2av(bvid: str) -> int:
    """Bilibili's BV id -> aid (the 2024 scheme), written out here to check the service's."""
    alphabet = "FcwAPNKTMug3GV5Lj7EJnHpWsx4tb8haYeviqBz6rkCy12mUSDQX9RdoZf"
    chars = list(bvid)
    chars[3], chars[9] = chars[9], chars[3]
    chars[4], chars[7] = chars[7], chars[4]
    number = 0
    for char in chars[3:]:
        number = number * 58 + alphabet.index(char)
    return (number & ((1 << 51) - 1)) ^ 23442827791579


def service(feedlens, path: str, body: dict | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{feedlens.service_port}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {feedlens.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def reports_of(feedlens, item_id: str) -> list[dict]:
    return [r for r in service(feedlens, "/api/reports?limit=500")["reports"] if r["item_id"] == item_id]


def received(site, aid: int) -> list[dict]:
    """What the appeal endpoint got for this video, whatever it answered."""
    return [r for r in site.reports.snapshot() if r["path"] == APPEAL and r["fields"].get("aid") == str(aid)]


def manual_choice(feedlens) -> dict:
    """A category Bilibili takes only on its own page (copyright: proof of rights needed)."""
    choices = service(feedlens, "/api/reports/choices?platform=bilibili&kind=video&lang=en")["choices"]
    manual = [c for c in choices if c["mode"] == "manual"]
    assert manual, choices
    return manual[0]


def api_choice(feedlens, lang: str = "en") -> dict:
    """A category Bilibili's video appeal takes through its API (reason code known)."""
    choices = service(feedlens, f"/api/reports/choices?platform=bilibili&kind=video&lang={lang}")["choices"]
    usable = [c for c in choices if c["mode"] == "api" and c["reason"]]
    assert usable, choices
    return next((c for c in usable if c["category"] == "cn.illegal.rumor"), usable[0])


# ---- driving the picker in the closed shadow root ----------------------------------------------

def picker(shadow) -> dict[str, Choice]:
    return {category: Choice(text, node, "disabled" in attrs)
            for category, (text, node, attrs) in shadow.marked("data-category").items()}


def topics(shadow) -> dict:
    """The picker's plain question: answer -> its button."""
    return {topic: node for topic, (_, node, _) in shadow.marked("data-topic").items()}


def open_picker(shadow, badge, report_label: str = "Report…", topic: str | None = None) -> dict[str, Choice]:
    """Report… then, when given, the plain question's answer: the categories it lists."""
    shadow.click(badge.node)
    _, buttons = wait_until(lambda: shadow.overlay(), 5, "the item menu")
    shadow.click(buttons[report_label])
    asked = wait_until(lambda: topics(shadow), 10, "the picker's question")
    if topic is None:
        return picker(shadow)
    shadow.click(asked[topic])
    return wait_until(lambda: picker(shadow), 10, "the report categories")


def describe(shadow, text: str) -> None:
    shadow.click(shadow.marked("id")["feedlens-report-description"][1])
    shadow.type(text)


def toast(shadow, words: str, timeout: float = 20) -> str:
    return wait_until(lambda: (o := shadow.overlay("toast")) and words in o[0] and o[0], timeout,
                      f"a toast saying {words!r}")


def pick(shadow, badge, category: dict, description: str = "") -> None:
    """As a user reports one card: its badge, Report…, the question's answer, a note, the category."""
    choices = open_picker(shadow, badge, topic=category["topics"][0])
    if description:
        describe(shadow, description)
    shadow.click(choices[category["category"]].node)


# ---- what the platform and the service saw ------------------------------------------------------

def sent_once_and_submitted(site, feedlens, item_id: str, category: dict, description: str) -> dict:
    """Exactly one request reached the platform, a form post with the page's own session; the
    service's report of it says submitted. Returns that report."""
    aid = bv2av(item_id)
    got = received(site, aid)
    assert len(got) == 1, got  # exactly one request reached the platform
    assert all(r["method"] == "POST" for r in site.reports.snapshot())  # a form post: no preflight
    request = got[0]
    assert request["method"] == "POST" and request["origin"] == ORIGIN
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["fields"]["aid"] == str(aid)
    assert request["fields"]["tid"] == str(category["reason"]["code"])
    assert request["fields"]["csrf"] == site.bilibili_session["bili_jct"]
    assert description in request["fields"]["desc"]
    assert request["code"] == 0 and "{cookie:" not in json.dumps(request["fields"])

    [report] = reports_of(feedlens, item_id)
    assert report["status"] == "submitted", report
    assert report["category"] == category["category"] and report["attempts"] == 1
    assert report["page_url"] == "https://www.bilibili.com/"
    assert isinstance(report["answer_ms"], int) and report["answer_ms"] >= 0
    return report
