"""The participant page /research/participant over the real app: behind the dashboard cookie, in
both languages, its forms (consent, pause/resume, withdraw, delete) changing the real Research
on a real Store, "see what you donate" showing exactly the preview() rows, and the CSRF and
origin checks of every form."""

from __future__ import annotations

import re
import shlex
import time
from datetime import datetime
from html import escape, unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from feedlens.research.dictionary import NAMES
from feedlens.service.pages import csrf_value
from tests.service_support import (  # noqa: F401 (fixtures)
    client, demo_item, log_in, record, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

PAGE = "/research/participant"


async def enter(client, token):
    """Open the dashboard link once: the client's jar then holds the dashboard cookie."""
    assert (await log_in(client, token)).status == 303


def origin(client) -> str:
    return f"http://127.0.0.1:{client.port}"


async def submit(client, token, action: str, data: dict, lang: str = "en"):
    """Post a page form as the browser does: own origin, the action's csrf field."""
    response = await client.post(f"{PAGE}/{action}?lang={lang}", allow_redirects=False,
                                 headers={"Origin": origin(client)},
                                 data={**data, "csrf": csrf_value(token, f"{PAGE}/{action}")})
    assert response.status == 303, await response.text()
    return response.headers["Location"]


def notice_of(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    assert parts.path == PAGE
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


async def consent(runtime, fields=("title",)):
    await runtime.research.enable("feeds-2026", "1.0", list(fields), 30)


async def fill(runtime, *records):
    for r in records:
        runtime.store.submit(r)
    await runtime.store.flush()


def feed(tag: str, n: int, at: float):
    return record([demo_item(i, f"{tag}-{i}", text=f"body {tag}-{i}", url=f"https://d.test/{tag}/{i}")
                   for i in range(n)], at=at)


def preview_cells(page: str) -> tuple[list[str], list[list[str]]]:
    """The header and body cells of the "see what you donate" table, as text."""
    table = re.search(r'<section id="preview">.*?<div class=preview><table>(.*?)</table>', page, re.S)
    assert table, "no preview table"
    head = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", table.group(1).split("<tbody>")[0])]
    body = table.group(1).split("<tbody>")[1]
    rows = [[unescape(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    return head, rows


# ---- the page ------------------------------------------------------------------------------

async def test_the_page_needs_the_dashboard_cookie(client, token):
    response = await client.get(PAGE)
    assert response.status == 401
    text = await response.text()
    assert "See what you donate" not in text and "查看我捐赠的数据" not in text


@pytest.mark.parametrize("lang,words", [
    ("en", ["Your research data", "What is recorded", "Off: nothing is recorded",
            "I agree: start recording", "See what you donate", "Delete your records",
            "--format parquet -o feedlens-research.parquet", "Research mode is off: there is nothing to pause"]),
    ("zh", ["我的研究数据", "记录哪些内容", "关闭：不为任何研究记录数据", "我同意：开始记录",
            "查看我捐赠的数据", "删除我的记录", "--format parquet -o feedlens-research.parquet", "研究模式已关闭"]),
])
async def test_the_page_in_both_languages(client, token, runtime, lang, words):
    await enter(client, token)
    response = await client.get(f"{PAGE}?lang={lang}")
    text = await response.text()
    assert response.status == 200
    assert [w for w in words if w not in text] == []
    assert "<script" not in text and 'style="' not in text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    # each consentable field has its own checkbox, and every form carries its csrf field
    for field in ("title", "text", "author_name", "url", "reason_text"):
        assert f'name="field_{field}"' in text
    for action in ("consent", "delete"):
        assert csrf_value(token, f"{PAGE}/{action}") in text
    # the commands name this service's data dir (not the default one)
    data_dir = str(runtime.config.data_dir)
    assert escape(shlex.join(["feedlens", "export", "--data-dir", data_dir, "--format", "csv"])) in text
    assert escape(shlex.join(["feedlens", "research", "--data-dir", data_dir, "status"])) in text


async def test_the_research_page_links_here(client, token):
    await enter(client, token)
    en = await (await client.get("/research?lang=en")).text()
    zh = await (await client.get("/research?lang=zh")).text()
    assert f'<a href="{PAGE}?lang=en">Your research data' in en
    assert f'<a href="{PAGE}?lang=zh">我的研究数据' in zh


async def test_bad_query_parameters_are_400(client, token):
    await enter(client, token)
    for query in ("limit=50", "notice=nope", "deleted=-1", "other=1"):
        assert (await client.get(f"{PAGE}?{query}")).status == 400, query


# ---- consent, pause, withdraw --------------------------------------------------------------

async def test_the_consent_form_enables_research_with_exactly_the_checked_fields(client, token, runtime):
    await enter(client, token)
    location = await submit(client, token, "consent", {
        "study_id": "feeds-2026", "consent_version": "2.1", "retention_days": "14",
        "field_title": "1", "field_url": "1", "field_bogus": "1", "study_key": ""})
    assert notice_of(location) == {"lang": "en", "notice": "consented"}
    state = await runtime.research.state()
    assert state["recording"] is True
    consent = state["consent"]
    assert (consent["study_id"], consent["consent_version"], consent["fields"],
            consent["retention_days"]) == ("feeds-2026", "2.1", ["title", "url"], 14)
    page = await (await client.get(location)).text()
    assert "Consent recorded: research mode is on." in page
    assert "On: recording." in page and "Title, Link" in page and "14 days" in page
    assert "I agree: replace my consent" in page
    assert re.search(r'name="field_title" value=1 checked', page)
    assert re.search(r'name="field_text" value=1>', page)  # unchecked


async def test_the_consent_form_takes_a_study_key(client, token, runtime):
    await enter(client, token)
    key = "ab" * 32
    await submit(client, token, "consent", {"study_id": "shared", "consent_version": "1",
                                            "retention_days": "7", "study_key": key})
    assert (runtime.config.data_dir / "research" / "shared.key").read_text().strip() == key
    assert (await runtime.research.state())["consent"]["fields"] == []


@pytest.mark.parametrize("form,field", [
    ({"study_id": "../etc", "consent_version": "1", "retention_days": "7"}, "study_id"),
    ({"study_id": "s", "consent_version": "", "retention_days": "7"}, "consent_version"),
    ({"study_id": "s", "consent_version": "1", "retention_days": "many"}, "retention_days"),
    ({"study_id": "s", "consent_version": "1", "retention_days": "0"}, "retention_days"),
    ({"study_id": "s", "consent_version": "1", "retention_days": "7", "study_key": "xyz"}, "study_key"),
])
async def test_a_refused_consent_leaves_research_off_and_says_why(client, token, runtime, form, field):
    await enter(client, token)
    location = await submit(client, token, "consent", form, lang="zh")
    assert notice_of(location) == {"lang": "zh", "notice": "bad_consent", "field": field}
    assert (await runtime.research.state())["enabled"] is False
    page = await (await client.get(location)).text()
    assert "请检查" in page


async def test_pause_resume_and_withdraw_forms(client, token, runtime):
    await enter(client, token)
    assert notice_of(await submit(client, token, "pause", {"paused": "1"}))["notice"] == "off"
    await consent(runtime)
    page = await (await client.get(PAGE)).text()
    assert "Pause recording" in page and csrf_value(token, f"{PAGE}/pause") in page

    location = await submit(client, token, "pause", {"paused": "1"})
    assert notice_of(location)["notice"] == "paused"
    state = await runtime.research.state()
    assert (state["paused"], state["recording"]) == (True, False)
    page = await (await client.get(location)).text()
    assert "Recording is paused." in page and "Resume recording" in page

    assert notice_of(await submit(client, token, "pause", {"paused": "0"}))["notice"] == "resumed"
    assert (await runtime.research.state())["recording"] is True

    location = await submit(client, token, "disable", {})
    assert notice_of(location)["notice"] == "withdrawn"
    assert (await runtime.research.state())["enabled"] is False
    page = await (await client.get(location)).text()
    assert "Consent withdrawn: research mode is off." in page and "Pause recording" not in page


# ---- see what you donate -------------------------------------------------------------------

async def test_the_preview_table_shows_exactly_the_preview_rows(client, token, runtime):
    await consent(runtime, fields=("title", "url"))
    now = time.time()
    await fill(runtime, feed("a", 15, now - 100), feed("b", 15, now - 50))
    await enter(client, token)
    for limit, shown in ((20, 20), (100, 30)):
        page = await (await client.get(f"{PAGE}?limit={limit}")).text()
        head, rows = preview_cells(page)
        expected = await runtime.research.preview(limit)
        assert len(expected) == shown
        assert head == list(NAMES)
        assert rows == [["" if row[n] is None else str(row[n]) for n in NAMES] for row in expected]
        assert f"The newest {shown} of the 30 records" in page
    # consented raw fields are there, the others empty (as in the export)
    assert rows[0][NAMES.index("title")] == "t-b-14" and rows[0][NAMES.index("text")] == ""
    assert rows[0][NAMES.index("url")] == "https://d.test/b/14"


async def test_an_empty_preview_says_so(client, token):
    await enter(client, token)
    page = await (await client.get(PAGE)).text()
    assert "No records: an export would be empty." in page and "<div class=preview>" not in page


# ---- delete --------------------------------------------------------------------------------

def local_input(ts: float) -> str:
    """A datetime-local input's value for this moment (minutes)."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%dT%H:%M")


async def test_the_delete_form_removes_the_range_and_says_how_many(client, token, runtime):
    await consent(runtime)
    now = time.time()
    old, recent = now - 3 * 86400, now - 60
    await fill(runtime, feed("old", 3, old), feed("mid", 4, now - 86400 - 7200), feed("new", 2, recent))
    await enter(client, token)

    unconfirmed = await submit(client, token, "delete", {"range": "all"})
    assert notice_of(unconfirmed)["notice"] == "confirm"
    assert (await runtime.research.state())["records"] == 9

    location = await submit(client, token, "delete", {"range": "hour", "confirm": "1"})
    assert notice_of(location) == {"lang": "en", "notice": "deleted", "deleted": "2"}
    assert "Deleted 2 records." in await (await client.get(location)).text()
    assert {r["time"] for r in await runtime.research.preview(100)} == {old, now - 86400 - 7200}

    location = await submit(client, token, "delete", {
        "range": "custom", "confirm": "1", "since": local_input(old - 120),
        "until": local_input(old + 120)}, lang="zh")
    assert notice_of(location) == {"lang": "zh", "notice": "deleted", "deleted": "3"}
    assert "已删除 3 条记录。" in await (await client.get(location)).text()
    assert {r["time"] for r in await runtime.research.preview(100)} == {now - 86400 - 7200}

    backwards = await submit(client, token, "delete", {
        "range": "custom", "confirm": "1", "since": local_input(now), "until": local_input(old)})
    assert notice_of(backwards)["notice"] == "bad_range"
    garbled = await submit(client, token, "delete", {"range": "custom", "confirm": "1",
                                                     "since": "yesterday"})
    empty = await submit(client, token, "delete", {"range": "custom", "confirm": "1"})
    assert notice_of(garbled)["notice"] == notice_of(empty)["notice"] == "bad_time"
    assert (await runtime.research.state())["records"] == 4

    location = await submit(client, token, "delete", {"range": "all", "confirm": "1"})
    assert notice_of(location)["deleted"] == "4"
    assert (await runtime.research.state())["records"] == 0


# ---- refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize("action,data", [
    ("consent", {"study_id": "s", "consent_version": "1", "retention_days": "7"}),
    ("pause", {"paused": "1"}),
    ("disable", {}),
    ("delete", {"range": "all", "confirm": "1"}),
])
async def test_forms_need_the_csrf_field_own_origin_and_the_cookie(client, token, runtime, action, data):
    await consent(runtime)
    await fill(runtime, feed("x", 3, time.time()))
    path = f"{PAGE}/{action}"
    good = {**data, "csrf": csrf_value(token, path)}
    without_cookie = await client.post(path, headers={"Origin": origin(client)}, data=good,
                                       allow_redirects=False)
    await enter(client, token)
    no_csrf = await client.post(path, headers={"Origin": origin(client)}, data=data,
                                allow_redirects=False)
    other_action = await client.post(path, headers={"Origin": origin(client)}, allow_redirects=False,
                                     data={**data, "csrf": csrf_value(token, "/research/audit")})
    foreign = await client.post(path, headers={"Origin": "https://evil.example"}, data=good,
                                allow_redirects=False)
    no_origin = await client.post(path, data=good, allow_redirects=False)
    assert [r.status for r in (without_cookie, no_csrf, other_action, foreign, no_origin)] == [403] * 5
    state = await runtime.research.state()
    assert (state["consent"]["study_id"], state["paused"], state["records"]) == ("feeds-2026", False, 3)
