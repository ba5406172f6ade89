"""feedlens reports list|export|verify on a real SQLite file, read-only, without the service."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile

import pytest

from feedlens.cli import main
from feedlens.reports import bundle, store as rstore
from feedlens.reports.cli import open_log
from feedlens.store import Store

CREATED = 1_790_000_000.0
REQUEST = {"mode": "api", "method": "POST", "url": "https://api.bilibili.com/x/web-interface/archive/appeal",
           "encoding": "form", "cookies": ["bili_jct"], "reason": {"code": 10014, "label": "涉政谣言"},
           "fields": {"aid": "170001", "tid": "10014", "csrf": "{cookie:bili_jct}"}}


def parts() -> list[bundle.Part]:
    item = bundle.item_evidence("recent", {"platform": "bilibili", "id": "BV17x411w7KC"},
                                CREATED - 30, None)
    context = bundle.context(
        client_request_id="click-0001", page_url="https://www.bilibili.com/video/BV17x411w7KC",
        platform="bilibili", kind="video", item_id="BV17x411w7KC",
        category={"id": "cn.illegal.rumor"}, reason=REQUEST["reason"], mode="api",
        description="", target=None, item_seen=CREATED - 30, created=CREATED)
    shot = bundle.Part("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(100))
    return bundle.build_parts(item=item, context=context, request=REQUEST, screenshot=shot,
                              notices={"12377": "举报"}, created=CREATED)


@pytest.fixture
async def data_dir(tmp_path):
    """A data dir with two reports, written by the real store (which is closed afterwards)."""
    store = Store(tmp_path / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    for n, status in ((1, "submitted"), (2, None)):
        report = rstore.NewReport(
            client_request_id=f"click-000{n}", platform="bilibili", kind="video",
            item_id="BV17x411w7KC", category="cn.illegal.rumor", reason=REQUEST["reason"],
            mode="api", page_url="https://www.bilibili.com/video/BV17x411w7KC",
            created=CREATED + n, request=REQUEST)
        report_id = await store.run_write(lambda conn, r=report: rstore.insert(conn, r, parts()))
        if status:
            await store.run_write(lambda conn, i=report_id: rstore.record_result(
                conn, i, now=CREATED + 3.5, http_status=200, body='{"code":0}', error=None,
                status="submitted", message="ok"))
    await store.close()
    return tmp_path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_reports_newest_first(data_dir, capsys):
    code, out, _ = run(capsys, "reports", "list", "--data-dir", str(data_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "created", "platform"]
    assert lines[1].split()[0] == "2" and "stored" in lines[1]
    assert lines[2].split()[0] == "1" and "submitted" in lines[2] and "2500 ms" in lines[2]
    assert "涉政谣言 10014" in lines[2]


def test_list_as_json_with_a_filter(data_dir, capsys):
    code, out, _ = run(capsys, "reports", "list", "--data-dir", str(data_dir), "--json",
                       "--status", "submitted")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["id"], r["answer_ms"]) for r in rows] == [(1, 2500)]


def test_list_on_an_empty_data_dir(tmp_path, capsys):
    code, _, err = run(capsys, "reports", "list", "--data-dir", str(tmp_path))
    assert code == 0 and "no reports yet" in err
    assert not (tmp_path / "feedlens.sqlite3").exists()  # looking created nothing


def test_the_cli_opens_the_database_read_only(data_dir, capsys):
    db = data_dir / "feedlens.sqlite3"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    conn = open_log(str(data_dir))
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM reports")
    finally:
        conn.close()
    code, out, _ = run(capsys, "reports", "list", "--data-dir", str(data_dir))
    assert code == 0 and "submitted" in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


async def test_list_while_the_service_holds_the_database(data_dir, capsys):
    store = Store(data_dir / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    try:
        code, out, _ = run(capsys, "reports", "list", "--data-dir", str(data_dir))
    finally:
        await store.close()
    assert code == 0 and len(out.splitlines()) == 3


def test_export_then_verify_ok(data_dir, tmp_path, capsys):
    target = tmp_path / "out" / "r1.zip"
    target.parent.mkdir()
    code, out, _ = run(capsys, "reports", "export", "1", "--data-dir", str(data_dir), "-o",
                       str(target))
    assert code == 0 and str(target) in out
    names = zipfile.ZipFile(target).namelist()
    assert names == ["item.json", "context.json", "request.json", "screenshot.png",
                     "notice-12377.txt", "manifest.json", "SHA256SUMS", "README.txt"]
    code, out, _ = run(capsys, "reports", "verify", str(target))
    assert (code, out.strip()) == (0, "ok: 5 parts verified")


def test_export_uses_a_default_name_in_the_current_directory(data_dir, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "reports", "export", "2", "--data-dir", str(data_dir))[0] == 0
    assert bundle.verify(tmp_path / "feedlens-report-2.zip") == []


def test_export_of_an_unknown_report_fails(data_dir, tmp_path, capsys):
    code, _, err = run(capsys, "reports", "export", "9", "--data-dir", str(data_dir), "-o",
                       str(tmp_path / "x.zip"))
    assert code == 2 and err.startswith("error: no report 9") and not (tmp_path / "x.zip").exists()


def edited(source, target, change) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info, data)


def test_verify_fails_when_one_byte_of_one_part_is_changed(data_dir, tmp_path, capsys):
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    run(capsys, "reports", "export", "1", "--data-dir", str(data_dir), "-o", str(good))

    def one_byte(name, data):
        if name != "context.json":
            return data
        position = data.index(b"bilibili")
        return data[:position] + b"B" + data[position + 1:]
    edited(good, bad, one_byte)
    code, out, err = run(capsys, "reports", "verify", str(bad))
    assert code == 1
    assert out.splitlines()[0].startswith("changed part: context.json")
    assert len(out.splitlines()) == 1 and "1 problem" in err


def test_verify_names_a_missing_and_an_extra_part(data_dir, tmp_path, capsys):
    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    run(capsys, "reports", "export", "1", "--data-dir", str(data_dir), "-o", str(good))
    edited(good, bad, lambda name, data: None if name == "screenshot.png" else data)
    with zipfile.ZipFile(bad, "a") as archive:
        archive.writestr("screenshot2.png", b"\x89PNG\r\n\x1a\n")
    code, out, _ = run(capsys, "reports", "verify", str(bad))
    assert code == 1
    assert out.splitlines() == ["missing part: screenshot.png",
                                "extra part: screenshot2.png (not in manifest.json)"]


def test_verify_of_something_that_is_not_a_bundle(tmp_path, capsys):
    plain = tmp_path / "notes.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    plain.write_bytes(buffer.getvalue())
    code, out, _ = run(capsys, "reports", "verify", str(plain))
    assert code == 1 and "bad manifest: manifest.json is missing" in out
    assert run(capsys, "reports", "verify", str(tmp_path / "absent.zip"))[0] == 2  # bad input: a one-line error, exit 2
