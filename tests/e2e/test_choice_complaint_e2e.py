"""From a revert recorded through the real proxy to a prepared complaint: requests carrying the
user's cookies, an Authorization header and a token in the query go through `feedlens run`;
`feedlens choices complaint` stores the complaint as a report and writes its bundle. Every file
verifies against manifest.json (SHA-256) and no cookie or token value is in any of them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from .conftest import start_feedlens, wait_until
from .test_choices_e2e import SEQUENCES

COOKIE, BEARER, QUERY_TOKEN = "cookie-secret-7781", "bearer-secret-9913", "query-secret-5521"
SECRETS = (COOKIE, BEARER, QUERY_TOKEN)


def send(fl, step: str) -> None:
    spec = SEQUENCES["bilibili"][step]
    headers = {**spec["headers"], "cookie": f"SESSDATA={COOKIE}; bili_jct={COOKIE}",
               "authorization": f"Bearer {BEARER}"}
    request = urllib.request.Request(f"{spec['url']}&access_key={QUERY_TOKEN}", headers=headers)
    with fl.opener().open(request, timeout=60) as response:
        assert response.status == 200
        response.read()


def count(fl, sql: str) -> int:
    with sqlite3.connect(f"file:{fl.db}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def reverted(replay, certs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("complaint")
    fl = start_feedlens(tmp, replay, certs / "ca.pem")
    try:
        for step in ("off", "on", "on"):
            send(fl, step)
        wait_until(lambda: count(fl, "SELECT COUNT(*) FROM choice_reverts") == 1, 30, "the revert")
        with sqlite3.connect(f"file:{fl.db}?mode=ro", uri=True) as db:
            revert_id = db.execute("SELECT id FROM choice_reverts").fetchone()[0]
        yield fl, revert_id, tmp
    finally:
        fl.proc.stop()


def complaint(fl, revert_id: int, jurisdiction: str, out) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "feedlens.cli", "choices", "complaint", str(revert_id),
            "--jurisdiction", jurisdiction, "--out", str(out), "--data-dir", str(fl.data_dir)]
    return subprocess.run(argv, capture_output=True, text=True, check=True)


@pytest.mark.parametrize("jurisdiction", ["cn", "eu"])
def test_the_bundle_verifies_and_holds_no_secret(reverted, jurisdiction):
    fl, revert_id, tmp = reverted
    out = tmp / f"bundle-{jurisdiction}"
    complaint(fl, revert_id, jurisdiction, out)
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {part["name"] for part in manifest["parts"]}
    assert {"revert.json", "history.json", "context.json"} <= listed
    for part in manifest["parts"]:
        data = (out / part["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == part["sha256"] and len(data) == part["size"]
    files = [*out.iterdir(), out.with_name(out.name + ".zip")]
    for path in files:
        for secret in SECRETS:
            assert secret.encode() not in path.read_bytes(), (path.name, secret)
    checked = subprocess.run([sys.executable, "-m", "feedlens.cli", "reports", "verify",
                              str(out.with_name(out.name + ".zip"))], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    exported = tmp / f"exported-{jurisdiction}.zip"  # the same report through `reports export`
    report_id = int(complaint(fl, revert_id, jurisdiction, out).stdout.split()[1])
    subprocess.run([sys.executable, "-m", "feedlens.cli", "reports", "export", str(report_id), "-o",
                    str(exported), "--data-dir", str(fl.data_dir)], check=True, capture_output=True)
    assert exported.read_bytes() == out.with_name(out.name + ".zip").read_bytes()
    assert "revert.json" in (out / "README.txt").read_text() and "item.json" not in (out / "README.txt").read_text()
    revert = json.loads((out / "revert.json").read_text())
    assert revert["sure"] == "confirmed" and [e["value"] for e in revert["evidence"]] == ["0", "0"]
    history = json.loads((out / "history.json").read_text())
    assert [o["state"] for o in history["observations"]] == ["not_personalised", "personalised", "personalised"]


def test_cn_cites_art_17_and_12377_in_both_languages(reverted):
    fl, revert_id, tmp = reverted
    out = tmp / "texts-cn"
    complaint(fl, revert_id, "cn", out)
    zh, en = (out / "complaint-cn.zh.txt").read_text(), (out / "complaint-cn.en.txt").read_text()
    assert "《互联网信息服务算法推荐管理规定》第十七条" in zh and "https://www.12377.cn/" in zh
    assert "Art 17" in en and "12377" in en and "app.bilibili.com/x/v2/feed/index" in en


def test_eu_cites_art_38_and_25_and_names_the_coordinator(reverted):
    fl, revert_id, tmp = reverted
    out = tmp / "texts-eu"
    complaint(fl, revert_id, "eu", out)
    en, zh = (out / "notice-eu.en.txt").read_text(), (out / "notice-eu.zh.txt").read_text()
    assert "Articles 38 and 25" in en and "Digital Services Coordinator" in en
    assert "第 38 条" in zh and "数字服务协调员" in zh


def test_the_complaint_is_a_report_and_preparing_it_again_finds_it(reverted):
    fl, revert_id, tmp = reverted
    first = complaint(fl, revert_id, "cn", tmp / "again-1").stdout
    second = complaint(fl, revert_id, "cn", tmp / "again-2").stdout
    assert first.split(" (")[0] == second.split(" (")[0]  # "report N"
    assert count(fl, "SELECT COUNT(*) FROM reports WHERE kind = 'choice_revert' AND status = 'manual'"
                     " AND category = 'choice.cn'") == 1
    assert (tmp / "again-1" / "manifest.json").read_bytes() == (tmp / "again-2" / "manifest.json").read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in fl.db.read_bytes()


def test_an_unknown_revert_is_one_line(reverted):
    fl, _, tmp = reverted
    done = subprocess.run([sys.executable, "-m", "feedlens.cli", "choices", "complaint", "999",
                           "--data-dir", str(fl.data_dir), "--out", str(tmp / "none")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "no revert 999" in done.stderr


def test_the_reverts_are_listed_with_their_ids(reverted):
    fl, revert_id, _ = reverted
    argv = [sys.executable, "-m", "feedlens.cli", "choices", "reverts", "--data-dir", str(fl.data_dir)]
    listed = json.loads(subprocess.run(argv + ["--json"], capture_output=True, text=True, check=True).stdout)
    assert [(r["id"], r["platform"], r["sure"], r["reason"]) for r in listed] == \
        [(revert_id, "bilibili", "confirmed", "two_in_a_row")]
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].split() == ["id", "time", "platform", "device", "choice", "sure", "reason"]
