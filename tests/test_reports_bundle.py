"""Evidence bundles: parts, manifest, deterministic zip, and verification that catches any change;
the rate limit's arithmetic; the reports tables' state transitions on a real SQLite file."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import subprocess
import zipfile

import pytest

from feedlens.reports import bundle, ratelimit, store as rstore
from feedlens.reports.ratelimit import RateLimit
from feedlens.reports.schema import MIGRATIONS
from feedlens.store import migrate, migrate_component

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64))
CREATED = 1_790_000_000.25
REQUEST = {"mode": "api", "method": "POST", "url": "https://api.bilibili.com/x/v2/reply/report",
           "encoding": "form", "cookies": ["bili_jct"],
           "fields": {"oid": "1", "rpid": "2", "reason": "2", "csrf": "{cookie:bili_jct}"}}


def data_url(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def make_parts(screenshot=PNG, notices=None) -> list[bundle.Part]:
    item = bundle.item_evidence("recent", {"platform": "bilibili", "id": "BV1", "title": "标题"},
                                CREATED - 60, "https://api.bilibili.com/x/feed")
    context = bundle.context(
        client_request_id="click-0001", page_url="https://www.bilibili.com/video/BV1",
        platform="bilibili", kind="video", item_id="BV1",
        category={"id": "cn.illegal.rumor", "zh": "谣言", "en": "Rumours", "ref": "Art 6"},
        reason={"code": 10014, "label": "涉政谣言"}, mode="api", description="假消息",
        target=None, item_seen=CREATED - 60, created=CREATED)
    shot = bundle.decode_screenshot(data_url("image/png", screenshot)) if screenshot else None
    return bundle.build_parts(item=item, context=context, request=REQUEST, screenshot=shot,
                              notices=notices if notices is not None else {"12377": "举报内容"},
                              created=CREATED)


def rewrite(zip_bytes: bytes, change) -> bytes:
    """The zip with change(name, data) -> data | None applied to each entry (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info, data)
    return out.getvalue()


# ---- screenshots ---------------------------------------------------------------------------

def test_a_png_data_url_becomes_the_screenshot_part():
    part = bundle.decode_screenshot(data_url("image/png", PNG))
    assert (part.name, part.media_type, part.data) == ("screenshot.png", "image/png", PNG)


def test_a_jpeg_keeps_its_own_type_and_extension():
    part = bundle.decode_screenshot(data_url("image/jpeg", JPEG))
    assert (part.name, part.media_type) == ("screenshot.jpg", "image/jpeg")


@pytest.mark.parametrize("url", [
    data_url("image/png", JPEG),                       # bytes are not what the type claims
    data_url("image/jpeg", b"GIF89a" + bytes(20)),
    "data:image/gif;base64,R0lGODlh",                  # not an accepted type
    "https://example.org/shot.png",                    # not a data URL
    "data:image/png;base64,@@@notbase64",
])
def test_bad_screenshots_are_refused(url):
    with pytest.raises(bundle.BundleError) as error:
        bundle.decode_screenshot(url)
    assert error.value.status == 400


def test_a_screenshot_over_8_mib_is_413():
    with pytest.raises(bundle.BundleError) as error:
        bundle.decode_screenshot(data_url("image/png", PNG + bytes(bundle.MAX_SCREENSHOT)))
    assert error.value.status == 413


def test_a_screenshot_of_exactly_8_mib_is_accepted():
    data = PNG + bytes(bundle.MAX_SCREENSHOT - len(PNG))
    assert len(bundle.decode_screenshot(data_url("image/png", data)).data) == bundle.MAX_SCREENSHOT


# ---- parts and manifest --------------------------------------------------------------------

def test_parts_come_in_order_with_the_manifest_last():
    names = [p.name for p in make_parts(notices={"12377": "a", "dsa": "b"})]
    assert names == ["item.json", "context.json", "request.json", "screenshot.png",
                     "notice-12377.txt", "notice-dsa.txt", "manifest.json"]
    assert [p.name for p in make_parts(screenshot=None, notices={})] == [
        "item.json", "context.json", "request.json", "manifest.json"]


def test_the_manifest_records_size_and_sha256_of_every_other_part():
    parts = make_parts()
    manifest = json.loads(parts[-1].data)
    assert manifest["algorithm"] == "sha256" and manifest["format"] == bundle.FORMAT
    assert manifest["feedlens_version"] and manifest["created"].startswith("2026-09-21T")
    assert [(e["name"], e["size"], e["sha256"]) for e in manifest["parts"]] == [
        (p.name, len(p.data), hashlib.sha256(p.data).hexdigest()) for p in parts[:-1]]


def test_request_json_keeps_the_cookie_placeholder():
    request = json.loads(next(p for p in make_parts() if p.name == "request.json").data)
    assert request["fields"]["csrf"] == "{cookie:bili_jct}"


def test_item_json_says_where_the_item_came_from():
    for source in ("recent", "item_log", "page"):
        evidence = bundle.item_evidence(source, {"id": "x"}, None, None)
        assert evidence["source"] == source and evidence["note"]


def test_template_item_gives_a_log_row_the_item_shape():
    row = {"platform": "bilibili", "item_id": "BV1", "kind": "video", "author": "up",
           "provenance": "personalized", "time": 1.0, "endpoint": "web-home"}
    item = bundle.template_item(bundle.item_evidence("item_log", row, 1.0, None), "video")
    assert item["id"] == "BV1" and item["author"] == "up" and item["provenance"] == "personalized"
    assert item["title"] is None and "text" in item and item["platform"] == "bilibili"


# ---- export and verify ---------------------------------------------------------------------

def test_export_is_deterministic_and_verifies():
    parts = make_parts()
    first, second = bundle.export_zip(parts, 7, CREATED), bundle.export_zip(parts, 7, CREATED)
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == [p.name for p in parts] + ["SHA256SUMS", "README.txt"]
    assert bundle.check(first) == (len(parts) - 1, [])


def test_verify_fails_when_one_byte_of_one_part_changes():
    original = bundle.export_zip(make_parts(), 7, CREATED)

    def flip(name, data):
        if name != "screenshot.png":
            return data
        return data[:20] + bytes([data[20] ^ 1]) + data[21:]
    problems = bundle.verify(rewrite(original, flip))
    assert len(problems) == 1
    assert problems[0].startswith("changed part: screenshot.png")


def test_verify_names_a_missing_part():
    zipped = rewrite(bundle.export_zip(make_parts(), 7, CREATED),
                     lambda name, data: None if name == "item.json" else data)
    assert bundle.verify(zipped) == ["missing part: item.json"]


def test_verify_names_an_extra_part():
    zipped = bundle.export_zip(make_parts(), 7, CREATED)
    out = io.BytesIO(zipped)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("later.txt", b"added afterwards")
    assert bundle.verify(out.getvalue()) == ["extra part: later.txt (not in manifest.json)"]


@pytest.mark.parametrize("manifest, expected", [
    (None, "bad manifest: manifest.json is missing"),
    (b"{not json", "bad manifest: manifest.json is not valid JSON"),
    (b'{"algorithm": "md5", "parts": []}', "bad manifest: expected an object"),
    (b'{"algorithm": "sha256", "parts": [{"name": "item.json"}]}', "bad manifest: part #1"),
])
def test_verify_reports_a_bad_manifest(manifest, expected):
    zipped = rewrite(bundle.export_zip(make_parts(), 7, CREATED),
                     lambda name, data: manifest if name == "manifest.json" else data)
    problems = bundle.verify(zipped)
    assert len(problems) == 1 and problems[0].startswith(expected)


def test_verify_catches_sha256sums_that_disagree_with_the_manifest():
    zipped = rewrite(bundle.export_zip(make_parts(), 7, CREATED),
                     lambda name, data: data.replace(b"  item.json", b"  other.json")
                     if name == "SHA256SUMS" else data)
    assert bundle.verify(zipped) == ["SHA256SUMS disagrees with manifest.json"]


def test_verify_says_when_the_file_is_not_a_zip():
    problems = bundle.verify(b"PK\x03\x04 truncated")
    assert len(problems) == 1 and problems[0].startswith("not a readable zip file")


def test_sha256sum_checks_the_unpacked_bundle_as_the_readme_says(tmp_path):
    zipped = bundle.export_zip(make_parts(), 7, CREATED)
    zipfile.ZipFile(io.BytesIO(zipped)).extractall(tmp_path)
    assert "sha256sum -c SHA256SUMS" in (tmp_path / "README.txt").read_text()
    ok = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert ok.returncode == 0, ok.stdout
    (tmp_path / "context.json").write_bytes((tmp_path / "context.json").read_bytes() + b" ")
    bad = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert bad.returncode != 0 and b"context.json: FAILED" in bad.stdout


# ---- rate limit ----------------------------------------------------------------------------

def test_rate_limit_spacing_and_hourly_cap():
    limit = RateLimit(min_interval=10, per_hour=3)
    assert limit.retry_after([], 1000) is None
    assert limit.retry_after([995], 1000) == 5
    assert limit.retry_after([990], 1000) is None
    # three in the last hour: wait until the oldest of them is an hour old
    assert limit.retry_after([100, 500, 900], 1000) == 100 + 3600 - 1000
    assert limit.retry_after([100 - 3600, 500, 900], 1000) is None  # one of them is older


def test_retry_after_header_rounds_up_to_whole_seconds():
    assert ratelimit.header_value(0.2) == "1"
    assert ratelimit.header_value(9.01) == "10"


def test_rate_limit_from_the_environment():
    assert RateLimit.from_env({}) == RateLimit()
    tuned = RateLimit.from_env({ratelimit.ENV_MIN_INTERVAL: "0", ratelimit.ENV_PER_HOUR: "100"})
    assert tuned == RateLimit(min_interval=0, per_hour=100)
    with pytest.raises(ValueError, match=ratelimit.ENV_PER_HOUR):
        RateLimit.from_env({ratelimit.ENV_PER_HOUR: "0"})
    with pytest.raises(ValueError, match=ratelimit.ENV_MIN_INTERVAL):
        RateLimit.from_env({ratelimit.ENV_MIN_INTERVAL: "soon"})


# ---- tables --------------------------------------------------------------------------------

@pytest.fixture
def conn(tmp_path):
    connection = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    connection.row_factory = sqlite3.Row
    migrate(connection)
    migrate_component(connection, "reports", MIGRATIONS)
    yield connection
    connection.close()


def new_report(mode="api", crid="click-0001", created=CREATED) -> rstore.NewReport:
    return rstore.NewReport(client_request_id=crid, platform="bilibili", kind="video",
                            item_id="BV1", category="cn.illegal.rumor",
                            reason={"code": 10014, "label": "涉政谣言"}, mode=mode,
                            page_url="https://www.bilibili.com/video/BV1", created=created,
                            request=REQUEST)


def test_a_stored_report_keeps_its_parts_byte_for_byte(conn):
    parts = make_parts()
    report_id = rstore.insert(conn, new_report(), parts)
    assert rstore.parts(conn, report_id) == parts
    report = rstore.get(conn, report_id)
    assert report["status"] == "stored" and report["request"] == REQUEST
    assert report["reason"] == {"code": 10014, "label": "涉政谣言"}
    assert [a["status"] for a in rstore.attempts(conn, report_id)] == ["sent"]


def test_the_client_request_id_is_unique_in_the_table(conn):
    rstore.insert(conn, new_report(), make_parts())
    with pytest.raises(sqlite3.IntegrityError):
        rstore.insert(conn, new_report(), make_parts())


def test_result_then_retry_transitions(conn):
    report_id = rstore.insert(conn, new_report(), make_parts())
    with pytest.raises(rstore.StateError):
        rstore.begin_retry(conn, report_id, CREATED + 1)
    rstore.record_result(conn, report_id, now=CREATED + 2.5, http_status=502, body="bad gateway",
                         error=None, status="failed", message="HTTP 502")
    failed = rstore.get(conn, report_id)
    assert failed["status"] == "failed" and failed["answer_ms"] == 2500
    assert failed["last_error"] == "HTTP 502" and failed["attempts"] == 1
    rstore.begin_retry(conn, report_id, CREATED + 60)
    rstore.record_result(conn, report_id, now=CREATED + 61, http_status=200, body='{"code":0}',
                         error=None, status="submitted", message="ok")
    done = rstore.get(conn, report_id)
    assert (done["status"], done["attempts"], done["answer_ms"], done["last_error"]) == \
        ("submitted", 2, 1000, None)
    assert [(a["number"], a["status"]) for a in rstore.attempts(conn, report_id)] == [
        (1, "failed"), (2, "submitted")]
    with pytest.raises(rstore.StateError):
        rstore.record_result(conn, report_id, now=CREATED + 62, http_status=200, body="",
                             error=None, status="submitted", message="again")


def test_send_times_count_hand_outs_and_manual_reports(conn):
    rstore.insert(conn, new_report(crid="click-0001", created=100.0), make_parts())
    manual = rstore.insert(conn, new_report(mode="manual", crid="click-0002", created=200.0),
                           make_parts())
    assert rstore.get(conn, manual)["status"] == "manual"
    assert sorted(rstore.send_times(conn, "bilibili", 0)) == [100.0, 200.0]
    assert rstore.send_times(conn, "weibo", 0) == []
    assert rstore.send_times(conn, "bilibili", 150) == [200.0]
