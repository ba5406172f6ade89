"""The report flow through the service, on the bundled Bilibili adapter and categories:
stored before the answer, one report per click, the rate limit, results read by the
adapter's interpret(), retries only when failed, notices, and the /reports page."""

from __future__ import annotations

import base64
import io
import json
import shutil
import sqlite3
import time
import zipfile

import pytest

from feedlens import paths
from feedlens.model import Item, Provenance
from feedlens.reports import bundle, templates
from feedlens.reports.ratelimit import RateLimit
from feedlens.service import reports_api
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, log_in, record, runtime, token, write_rules,
)

pytestmark = pytest.mark.filterwarnings("error")

BV = "BV17x411w7KC"  # av170001
PAGE = f"https://www.bilibili.com/video/{BV}"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
START = 1_790_000_000.0


@pytest.fixture
def rules_dir(tmp_path):
    """The demo rules plus the shipped adapters and categories (the real report sections)."""
    root = write_rules(tmp_path / "rules")
    shutil.copy(paths.rules_dir() / "categories.yaml", root / "categories.yaml")
    for adapter in paths.platforms_dir().glob("*.yaml"):
        shutil.copy(adapter, paths.platforms_dir(root) / adapter.name)
    return root


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(client):
    settings = client.server.app[reports_api.SETTINGS]
    settings.clock = Clock()
    settings.limit = RateLimit()  # the defaults, whatever the environment says
    return settings.clock


@pytest.fixture
def seen(runtime):
    """The proxy saw the video a minute ago."""
    item = Item(platform="bilibili", endpoint="web-home-recommend", surface="home", position=3,
                id=BV, kind="video", provenance=Provenance.PERSONALIZED, author_id="42",
                author="某UP主", title="震惊！标题党", url=PAGE)
    runtime.recent.add(time.time() - 60, "https://api.bilibili.com/x/web-interface/index/top/feed/rcmd",
                       [item])
    return item


async def choices(client, auth, platform="bilibili", kind="video", lang="zh") -> dict:
    response = await client.get(f"/api/reports/choices?platform={platform}&kind={kind}&lang={lang}",
                                headers=auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def api_category(client, auth, kind="video") -> dict:
    rows = [c for c in (await choices(client, auth, kind=kind))["choices"] if c["mode"] == "api"]
    assert rows, "the Bilibili adapter sends some categories through its API"
    return rows[0]


def body(category: str, crid: str = "click-0001", **extra) -> dict:
    values = {"platform": "bilibili", "item_id": BV, "kind": "video", "category": category,
              "description": "标题与内容不符", "page_url": PAGE, "client_request_id": crid}
    values.update(extra)
    return values


async def post(client, auth, payload) -> tuple[int, dict, dict]:
    response = await client.post("/api/reports", json=payload, headers=auth)
    return response.status, await response.json(), dict(response.headers)


def db_rows(runtime, sql: str, params=()) -> list[tuple]:
    """A connection of the test's own: what is on disk, not what the service holds in memory."""
    conn = sqlite3.connect(runtime.store.path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def create(client, auth, clock, crid="click-0001", **extra) -> dict:
    category = await api_category(client, auth)
    status, data, _ = await post(client, auth, body(category["category"], crid, **extra))
    assert status == 201, data
    clock.advance(11)  # past the per-platform spacing, for the next one
    return data


async def send_result(client, auth, report_id, http_status=200, text='{"code":0}', **extra):
    response = await client.post(f"/api/reports/{report_id}/result", headers=auth,
                                 json={"http_status": http_status, "body": text, **extra})
    return response.status, await response.json()


# ---- choices -------------------------------------------------------------------------------

async def test_choices_list_categories_with_the_platform_reason(client, auth):
    data = await choices(client, auth)
    assert data["platform"] == "bilibili" and data["kind"] == "video"
    assert {"video", "comment"} <= set(data["kinds"])
    assert data["channels"] == {"12377": True, "dsa": True}
    for row in data["choices"]:
        assert row["mode"] in ("api", "manual")
        assert row["reason"] is not None or row["manual_url"], row
    english = await choices(client, auth, lang="en")
    assert [r["category"] for r in english["choices"]] == [r["category"] for r in data["choices"]]
    assert [r["label"] for r in english["choices"]] != [r["label"] for r in data["choices"]]


async def test_choices_for_a_platform_without_a_report_section_are_empty(client, auth):
    data = await (await client.get("/api/reports/choices?platform=demo", headers=auth)).json()
    assert data["kinds"] == [] and data["choices"] == []


async def test_choices_refuse_an_unknown_platform_or_kind(client, auth):
    assert (await client.get("/api/reports/choices?platform=nope", headers=auth)).status == 404
    response = await client.get("/api/reports/choices?platform=bilibili&kind=song", headers=auth)
    assert response.status == 400


# ---- create: stored before the answer ------------------------------------------------------

async def test_the_report_and_its_bundle_are_on_disk_when_the_answer_arrives(
        client, auth, runtime, clock, seen):
    category = await api_category(client, auth)
    screenshot = "data:image/png;base64," + base64.b64encode(PNG).decode()
    status, data, _ = await post(client, auth, body(category["category"], screenshot=screenshot))
    assert status == 201, data
    report, request = data["report"], data["request"]
    assert report["status"] == "stored" and report["mode"] == "api"
    assert request["mode"] == "api" and request["url"].startswith("https://api.bilibili.com/")
    assert "{cookie:bili_jct}" in json.dumps(request) and request["cookies"] == ["bili_jct"]
    assert request == templates.prepare(
        next(a for a in runtime.engine.adapters.adapters if a.platform == "bilibili"), "video",
        category["category"], seen.to_dict(), "标题与内容不符", None)

    rows = db_rows(runtime, "SELECT id, status, client_request_id FROM reports")
    assert rows == [(report["id"], "stored", "click-0001")]
    parts = dict(db_rows(runtime, "SELECT name, bytes FROM report_parts WHERE report_id = ?",
                         (report["id"],)))
    assert set(parts) >= {"item.json", "context.json", "request.json", "screenshot.png",
                          "manifest.json"}
    assert parts["screenshot.png"] == PNG
    item = json.loads(parts["item.json"])
    assert item["source"] == "recent" and item["item"] == seen.to_dict()
    context = json.loads(parts["context.json"])
    assert context["page_url"] == PAGE and context["category"]["id"] == category["category"]
    assert context["category"]["ref"] and context["platform_reason"] == request["reason"]
    assert context["times"]["report_created"] == START and context["times"]["item_seen"]
    assert json.loads(parts["request.json"]) == request
    manifest = json.loads(parts["manifest.json"])
    assert {e["name"] for e in manifest["parts"]} == set(parts) - {"manifest.json"}
    assert report["manifest_sha256"] == bundle.Part("m", "", parts["manifest.json"]).sha256


async def test_nothing_is_handed_out_when_the_store_cannot_write(client, auth, runtime, clock,
                                                                seen, monkeypatch):
    category = await api_category(client, auth)

    async def broken(fn):
        raise sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(runtime.store, "run_write", broken)
    status, data, _ = await post(client, auth, body(category["category"]))
    assert status == 500 and "request" not in data
    assert db_rows(runtime, "SELECT COUNT(*) FROM reports") == [(0,)]


async def test_an_item_no_longer_in_memory_comes_from_the_item_log(client, auth, runtime, clock):
    item = Item(platform="bilibili", endpoint="web-home-recommend", surface="home", position=0,
                id=BV, kind="video", provenance=Provenance.POPULAR, author="某UP主")
    runtime.store.submit(record([item], platform="bilibili", endpoint="web-home-recommend"))
    await runtime.store.flush()
    data = await create(client, auth, clock)
    parts = dict(db_rows(runtime, "SELECT name, bytes FROM report_parts WHERE report_id = ?",
                         (data["report"]["id"],)))
    evidence = json.loads(parts["item.json"])
    assert evidence["source"] == "item_log" and "item log" in evidence["note"]
    assert evidence["item"]["provenance"] == "popular" and evidence["item"]["author"] == "某UP主"


async def test_an_item_the_proxy_never_saw_is_reported_with_what_the_page_gave(
        client, auth, runtime, clock):
    data = await create(client, auth, clock)
    parts = dict(db_rows(runtime, "SELECT name, bytes FROM report_parts WHERE report_id = ?",
                         (data["report"]["id"],)))
    evidence = json.loads(parts["item.json"])
    assert evidence["source"] == "page" and evidence["item"] == {
        "platform": "bilibili", "id": BV, "kind": "video"}


# ---- one report per click ------------------------------------------------------------------

async def test_the_same_click_twice_is_one_report(client, auth, runtime, clock, seen):
    category = await api_category(client, auth)
    first_status, first, _ = await post(client, auth, body(category["category"]))
    second_status, second, _ = await post(client, auth, body(category["category"]))
    assert (first_status, second_status) == (201, 200)
    assert second["report"]["id"] == first["report"]["id"] and second["existing"] is True
    assert second["request"] == first["request"]
    assert db_rows(runtime, "SELECT COUNT(*) FROM reports") == [(1,)]
    assert db_rows(runtime, "SELECT COUNT(*) FROM report_attempts") == [(1,)]


async def test_a_repeated_click_after_the_answer_hands_out_no_request(client, auth, clock, seen):
    category = await api_category(client, auth)
    _, first, _ = await post(client, auth, body(category["category"]))
    await send_result(client, auth, first["report"]["id"])
    status, again, _ = await post(client, auth, body(category["category"]))
    assert status == 200 and again["request"] is None
    assert again["report"]["status"] == "submitted"


# ---- rate limit ----------------------------------------------------------------------------

async def test_a_second_report_within_ten_seconds_is_429_and_stores_nothing(
        client, auth, runtime, clock, seen):
    category = await api_category(client, auth)
    assert (await post(client, auth, body(category["category"], "click-0001")))[0] == 201
    clock.advance(4)
    status, data, headers = await post(client, auth, body(category["category"], "click-0002"))
    assert status == 429 and headers["Retry-After"] == "6"
    assert "nothing was stored" in data["error"]
    assert db_rows(runtime, "SELECT client_request_id FROM reports") == [("click-0001",)]
    assert db_rows(runtime, "SELECT COUNT(*) FROM report_parts WHERE report_id != 1") == [(0,)]
    clock.advance(6)
    assert (await post(client, auth, body(category["category"], "click-0002")))[0] == 201


async def test_the_hourly_cap_per_platform(client, auth, runtime, clock, seen):
    client.server.app[reports_api.SETTINGS].limit = RateLimit(min_interval=0, per_hour=2)
    category = await api_category(client, auth)
    for n in (1, 2):
        assert (await post(client, auth, body(category["category"], f"click-000{n}")))[0] == 201
        clock.advance(60)
    status, _, headers = await post(client, auth, body(category["category"], "click-0003"))
    assert status == 429 and headers["Retry-After"] == str(3600 - 120)
    assert db_rows(runtime, "SELECT COUNT(*) FROM reports") == [(2,)]


# ---- results -------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, expected", [
    ('{"code":0,"message":"0"}', "submitted"),
    ('{"code":12008,"message":"已经举报过了"}', "duplicate"),
    ('{"code":12019,"message":"举报过于频繁"}', "rate_limited"),
    ('{"code":-111,"message":"csrf 校验失败"}', "failed"),
])
async def test_the_platform_answer_is_read_by_the_adapter(client, auth, runtime, clock, seen,
                                                          answer, expected):
    data = await create(client, auth, clock)
    clock.advance(1.5)
    status, result = await send_result(client, auth, data["report"]["id"], 200, answer)
    assert status == 200, result
    adapter = next(a for a in runtime.engine.adapters.adapters if a.platform == "bilibili")
    assert (result["report"]["status"], result["report"]["message"]) == \
        templates.interpret(adapter, "video", 200, answer)
    assert result["report"]["status"] == expected
    assert result["report"]["answer_ms"] == 12500  # 11 s (create's step) + 1.5 s to the answer
    attempt = db_rows(runtime, "SELECT http_status, body, status FROM report_attempts")
    assert attempt == [(200, answer, expected)]


async def test_a_network_error_fails_the_report_and_keeps_it(client, auth, runtime, clock, seen):
    data = await create(client, auth, clock)
    status, result = await send_result(client, auth, data["report"]["id"], 0, "",
                                       error="TypeError: Failed to fetch")
    assert status == 200 and result["report"]["status"] == "failed"
    assert result["report"]["last_error"] == "TypeError: Failed to fetch"
    assert result["report"]["retryable"] is True
    assert db_rows(runtime, "SELECT COUNT(*) FROM report_parts") != [(0,)]


async def test_a_second_result_for_the_same_hand_out_is_409(client, auth, clock, seen):
    data = await create(client, auth, clock)
    assert (await send_result(client, auth, data["report"]["id"]))[0] == 200
    status, answer = await send_result(client, auth, data["report"]["id"], 200, '{"code":12008}')
    assert status == 409 and "not awaiting" in answer["error"]


async def test_results_are_validated(client, auth, clock, seen):
    data = await create(client, auth, clock)
    report_id = data["report"]["id"]
    response = await client.post(f"/api/reports/{report_id}/result", headers=auth,
                                 json={"http_status": "200", "body": ""})
    assert response.status == 400
    status, _ = await send_result(client, auth, report_id, 200, "x" * (64 * 1024 + 1))
    assert status == 413
    assert (await send_result(client, auth, 999999))[0] == 404


# ---- retries -------------------------------------------------------------------------------

async def test_retry_only_for_failed_reports(client, auth, runtime, clock, seen):
    data = await create(client, auth, clock)
    report_id = data["report"]["id"]
    retry = f"/api/reports/{report_id}/retry"
    response = await client.post(retry, headers=auth)  # still awaiting its answer
    assert response.status == 409 and "only failed" in (await response.json())["error"]

    await send_result(client, auth, report_id, 502, "Bad Gateway")
    response = await client.post(retry, headers=auth)
    assert response.status == 200
    again = await response.json()
    assert again["request"] == data["request"] and again["report"]["status"] == "stored"

    clock.advance(2)
    status, done = await send_result(client, auth, report_id)
    assert done["report"]["status"] == "submitted" and done["report"]["attempts"] == 2
    assert done["report"]["answer_ms"] == 2000
    assert (await client.post(retry, headers=auth)).status == 409  # submitted is final
    assert db_rows(runtime, "SELECT number, status FROM report_attempts ORDER BY number") == [
        (1, "failed"), (2, "submitted")]


async def test_a_retry_within_the_spacing_is_429_and_changes_nothing(client, auth, runtime,
                                                                    clock, seen):
    category = await api_category(client, auth)
    _, data, _ = await post(client, auth, body(category["category"]))
    await send_result(client, auth, data["report"]["id"], 0, "", error="offline")
    response = await client.post(f"/api/reports/{data['report']['id']}/retry", headers=auth)
    assert response.status == 429 and response.headers["Retry-After"] == "10"
    assert db_rows(runtime, "SELECT status FROM reports") == [("failed",)]
    assert db_rows(runtime, "SELECT COUNT(*) FROM report_attempts") == [(1,)]


async def test_a_report_whose_browser_never_answered_becomes_retryable(client, auth, runtime,
                                                                      clock, seen):
    data = await create(client, auth, clock)
    report_id = data["report"]["id"]
    assert (await client.post(f"/api/reports/{report_id}/retry", headers=auth)).status == 409
    clock.advance(reports_api.RESULT_TIMEOUT)
    listed = await (await client.get("/api/reports", headers=auth)).json()
    assert listed["reports"][0]["retryable"] is True
    response = await client.post(f"/api/reports/{report_id}/retry", headers=auth)
    assert response.status == 200
    assert db_rows(runtime, "SELECT number, status, error FROM report_attempts ORDER BY number") == [
        (1, "failed", "no result came back from the browser"), (2, "sent", None)]


# ---- manual mode ---------------------------------------------------------------------------

async def manual_only_platform(client, auth, runtime) -> tuple[str, str, str]:
    for adapter in runtime.engine.adapters.adapters:
        if not adapter.report:
            continue
        for kind in templates.report_kinds(adapter):
            rows = (await choices(client, auth, adapter.platform, kind))["choices"]
            manual = [r for r in rows if r["mode"] == "manual"]
            if manual:
                return adapter.platform, kind, manual[0]["category"]
    raise AssertionError("some shipped platform is reported on its own page")


async def test_a_manual_report_is_stored_and_gets_no_result(client, auth, runtime, clock):
    platform, kind, category = await manual_only_platform(client, auth, runtime)
    status, data, _ = await post(client, auth, body(category, platform=platform, kind=kind,
                                                    item_id="123", page_url="https://example.org/p"))
    assert status == 201, data
    assert data["report"]["status"] == "manual" and data["request"]["mode"] == "manual"
    assert data["request"]["manual_url"].startswith("https://") and data["request"]["text"]
    assert (await send_result(client, auth, data["report"]["id"]))[0] == 409
    assert (await client.post(f"/api/reports/{data['report']['id']}/retry", headers=auth)).status == 409


# ---- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("change, status", [
    ({"page_url": "javascript:alert(1)"}, 400),
    ({"client_request_id": "short"}, 400),
    ({"category": "no.such.category"}, 400),
    ({"kind": "song"}, 400),
    ({"platform": "demo"}, 404),          # no report section
    ({"item_id": ""}, 400),
    ({"target": {"oid": ["x"]}}, 400),
    ({"colour": "red"}, 400),             # unknown field
    ({"screenshot": "data:image/png;base64," + base64.b64encode(b"GIF89a").decode()}, 400),
])
async def test_bad_reports_are_refused_and_nothing_is_stored(client, auth, runtime, clock, change,
                                                              status):
    category = await api_category(client, auth)
    answer_status, answer, _ = await post(client, auth, {**body(category["category"]), **change})
    assert answer_status == status, answer
    assert db_rows(runtime, "SELECT COUNT(*) FROM reports") == [(0,)]


async def test_a_body_over_the_limit_is_413(client, auth, clock):
    category = await api_category(client, auth)
    huge = "data:image/png;base64," + "A" * (reports_api.MAX_REPORT_BODY + 10)
    payload = json.dumps(body(category["category"], screenshot=huge)).encode()
    # The service answers before reading the rest, so the client may see the connection close.
    async with client.post("/api/reports", data=io.BytesIO(payload),
                           headers={**auth, "Content-Type": "application/json"}) as response:
        assert response.status == 413


async def test_a_screenshot_bigger_than_the_service_wide_limit_is_accepted(client, auth, runtime,
                                                                          clock):
    """The service's 1 MiB body limit does not apply to reports: screenshots are bigger."""
    category = await api_category(client, auth)
    shot = PNG + bytes(3 * 1024 * 1024)
    payload = json.dumps(body(category["category"], screenshot="data:image/png;base64,"
                              + base64.b64encode(shot).decode())).encode()
    response = await client.post("/api/reports", data=io.BytesIO(payload),
                                 headers={**auth, "Content-Type": "application/json"})
    assert response.status == 201, await response.text()
    assert db_rows(runtime, "SELECT length(bytes) FROM report_parts WHERE name = 'screenshot.png'"
                   ) == [(len(shot),)]


# ---- history and notices -------------------------------------------------------------------

async def test_list_and_detail(client, auth, clock, seen):
    first = await create(client, auth, clock, "click-0001")
    await send_result(client, auth, first["report"]["id"], 200, '{"code":12008}')
    second = await create(client, auth, clock, "click-0002")
    listed = await (await client.get("/api/reports", headers=auth)).json()
    assert [r["id"] for r in listed["reports"]] == [second["report"]["id"], first["report"]["id"]]
    only = await (await client.get("/api/reports?status=duplicate", headers=auth)).json()
    assert [r["id"] for r in only["reports"]] == [first["report"]["id"]]
    detail = await (await client.get(f"/api/reports/{first['report']['id']}", headers=auth)).json()
    assert detail["report"]["status"] == "duplicate" and detail["request"] == first["request"]
    assert [a["status"] for a in detail["attempts"]] == ["duplicate"]
    names = [p["name"] for p in detail["bundle"]["parts"]]
    assert names[-1] == "manifest.json"
    assert [e["name"] for e in detail["bundle"]["manifest"]["parts"]] == names[:-1]
    assert (await client.get("/api/reports?status=lost", headers=auth)).status == 400


async def test_notices_for_12377_and_the_dsa(client, auth, runtime, clock, seen):
    rows = (await choices(client, auth))["choices"]
    from feedlens.reports.categories import load_categories
    found = {c.id: c for c in load_categories(runtime.config.rules_dir)}
    both = next(r["category"] for r in rows
                if found[r["category"]].channel_12377 and found[r["category"]].dsa)
    status, data, _ = await post(client, auth, body(both))
    assert status == 201
    base = f"/api/reports/{data['report']['id']}/notice"
    text_12377 = await (await client.get(f"{base}?channel=12377", headers=auth)).json()
    assert PAGE in text_12377["text"]
    assert (await client.get(f"{base}?channel=dsa", headers=auth)).status == 400
    dsa = await client.get(f"{base}?channel=dsa&name=Li%20Hua&email=li@example.org", headers=auth)
    assert dsa.status == 200
    text = (await dsa.json())["text"]
    assert "li@example.org" in text and "Li Hua" in text and PAGE in text
    parts = dict(db_rows(runtime, "SELECT name, bytes FROM report_parts"))
    assert "notice-12377.txt" in parts and "notice-dsa.txt" in parts
    assert reports_api.DSA_PLACEHOLDERS["email"] in parts["notice-dsa.txt"].decode()


# ---- the dashboard page --------------------------------------------------------------------

async def test_the_reports_page_needs_the_dashboard_cookie(client, token, clock, seen, auth):
    await create(client, auth, clock)
    assert (await client.get("/reports")).status == 401
    assert (await client.get("/reports/1")).status == 401
    assert (await client.get("/reports/1/bundle.zip")).status == 401
    await log_in(client, token)  # sets the cookie
    response = await client.get("/reports?lang=en")
    assert response.status == 200 and response.content_type == "text/html"


@pytest.mark.parametrize("lang, words", [
    ("en", ("Reports", "stored, awaiting the answer", "feedlens reports verify", "Time to answer")),
    ("zh", ("举报", "已保存，等待答复", "feedlens reports verify", "平台答复用时")),
])
async def test_the_reports_page_in_both_languages(client, auth, clock, seen, lang, words):
    data = await create(client, auth, clock)
    text = await (await client.get(f"/reports?lang={lang}", headers=auth)).text()
    for word in words:
        assert word in text
    reason = data["request"]["reason"]
    assert f"{reason.get(lang) or reason['label']} ({reason['code']})" in text
    assert "<script" not in text
    detail = await (await client.get(f"/reports/{data['report']['id']}?lang={lang}",
                                     headers=auth)).text()
    assert data["report"]["manifest_sha256"] in detail and "manifest.json" in detail


async def test_the_page_shows_the_time_to_the_platform_answer(client, auth, clock, seen):
    data = await create(client, auth, clock)
    clock.advance(0.75)
    await send_result(client, auth, data["report"]["id"])
    text = await (await client.get("/reports?lang=en", headers=auth)).text()
    assert "11.8 s" in text and "submitted" in text


async def test_the_bundle_download_verifies(client, auth, clock, seen):
    data = await create(client, auth, clock)
    response = await client.get(f"/reports/{data['report']['id']}/bundle.zip", headers=auth)
    assert response.status == 200 and response.content_type == "application/zip"
    zipped = await response.read()
    assert bundle.verify(zipped) == []
    assert "item.json" in zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert (await client.get("/reports/999/bundle.zip", headers=auth)).status == 404
