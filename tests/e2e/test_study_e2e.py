"""Issue 17 end to end: a study server (`feedlens study serve`) on a real PostgreSQL, two
participants each running a real `feedlens run`, joined with `feedlens research join`; their
proxies upload what their previews show; an unconsented field is refused; the server is killed
and restarted while uploads go on, and loses and duplicates nothing; a withdrawal deletes the
participant's rows on the server; the Parquet export reads back in DuckDB."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.study.support import TOKEN, study_spec, upload_body

from .conftest import ROOT, Proc, free_port, start_feedlens, wait_until
from .test_proxy_e2e import RCMD_URL

pytestmark = pytest.mark.e2e


class StudyServer:
    def __init__(self, tmp: Path, dsn: str):
        self.tmp, self.port = tmp, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, FEEDLENS_STUDY_DSN=dsn, FEEDLENS_STUDY_ADMIN_TOKEN=TOKEN,
                        FEEDLENS_STUDY_PORT=str(self.port), FEEDLENS_STUDY_URL=self.url)
        self.proc: Proc | None = None

    def start(self) -> "StudyServer":
        log = self.tmp / "study-server.log"
        self.proc = Proc(subprocess.Popen(
            [sys.executable, "-m", "feedlens.cli", "study", "serve"], stdout=log.open("ab"),
            stderr=subprocess.STDOUT, cwd=ROOT, env=dict(self.env, PYTHONUNBUFFERED="1")), log)
        wait_until(self._up, 60, "the study server")
        return self

    def _up(self) -> bool:
        assert self.proc.alive(), self.proc.output()
        try:
            with urllib.request.urlopen(self.url + "/api/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        self.proc.popen.kill()
        self.proc.popen.wait(10)

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "feedlens.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def view(self) -> dict:
        return json.loads(self.cli("study", "view", "s1"))

    def records_of(self, participant: str) -> int | None:
        """From the admin API straight (polled: no subprocess each time)."""
        request = urllib.request.Request(self.url + "/api/admin/studies/s1/view",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                people = json.loads(response.read())["participation"]["participants"]
        except OSError:
            return None
        return next((p["records"] for p in people if p["id"] == participant), None)


def local_records(data_dir: Path) -> int:
    with sqlite3.connect(f"file:{data_dir / 'feedlens.sqlite3'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM research_records").fetchone()[0]


def enrolment(data_dir: Path) -> dict:
    return json.loads((data_dir / "research" / "s1.study.json").read_text())


@pytest.fixture(scope="module")
def server(pg_dsn, tmp_path_factory):
    study = StudyServer(tmp_path_factory.mktemp("study"), pg_dsn).start()
    try:
        yield study
    finally:
        if study.proc.alive():
            study.proc.stop()


def test_two_participants_upload_withdraw_and_export(server, replay, certs, tmp_path):
    spec = tmp_path / "study.yaml"
    spec.write_text(yaml.safe_dump(study_spec(fields=["title"])), encoding="utf-8")
    assert "created study s1" in server.cli("study", "create", str(spec))
    codes = server.cli("study", "invite", "s1", "--count", "2").split()
    proxies = []
    try:
        for n, code in enumerate(codes):
            (tmp_path / f"p{n}").mkdir()
            proxy = start_feedlens(tmp_path / f"p{n}", replay, certs / "ca.pem")
            joined = server.cli("research", "--data-dir", str(proxy.data_dir), "join", server.url,
                                code, "--yes", "--language", "zh-CN")
            assert "我们记录你的信息流内容。" in joined and "title" in joined
            proxies.append(proxy)
        alice, bob = proxies
        ids = [enrolment(p.data_dir)["participant"] for p in proxies]
        for proxy in proxies:
            proxy.fetch(RCMD_URL)
        for proxy, pid in zip(proxies, ids):
            wait_until(lambda: local_records(proxy.data_dir) > 0 and
                       server.records_of(pid) == local_records(proxy.data_dir), 60, "uploads")

        # the server refuses a field the participant did not consent to
        mine = enrolment(alice.data_dir)
        preview = json.loads(server.cli("research", "--data-dir", str(alice.data_dir), "preview",
                                        "--limit", "1"))
        assert preview["participant"] == ids[0] and preview["title"] and preview["text"] is None
        refused = _signed_upload(server.url, mine, [dict(preview, text="not consented")])
        assert refused[0] == 422 and "'text' was not consented" in refused[1]

        # the server dies while uploads go on; after its restart nothing is lost or doubled
        server.kill()
        alice.fetch(RCMD_URL.replace("ps=12", "ps=12&again=1"))
        wait_until(lambda: "upload failed" in alice.proc.output(), 30, "a failed upload")
        server.start()
        wait_until(lambda: server.records_of(ids[0]) == local_records(alice.data_dir), 60,
                   "the uploads after the restart")
        assert local_records(alice.data_dir) > server.records_of(ids[1])  # the second page came

        # a pause shows in the researcher's view
        assert "s1 is paused" in server.cli("research", "--data-dir", str(bob.data_dir), "pause")
        assert server.view()["participation"]["paused"] == 1
        server.cli("research", "--data-dir", str(bob.data_dir), "resume")

        # withdrawal deletes on the server too and leaves a receipt
        out = server.cli("research", "--data-dir", str(alice.data_dir), "disable")
        assert "receipt" in out
        view = server.view()
        assert view["participation"]["withdrawn"] == 1
        assert server.records_of(ids[0]) == 0
        assert enrolment(alice.data_dir)["withdrawn"]

        # Parquet per day, read back with DuckDB: Bob's records only, exactly his count
        exported = tmp_path / "export"
        server.cli("study", "export", "s1", "-o", str(exported))
        rows = duckdb.sql(f"SELECT participant, count(*), count(DISTINCT day) FROM read_parquet("
                          f"'{exported}/*/*.parquet', hive_partitioning = true) GROUP BY 1").fetchall()
        assert rows == [(ids[1], local_records(bob.data_dir), 1)]
    finally:
        for proxy in proxies:
            proxy.proc.stop()


def _signed_upload(url: str, mine: dict, records: list[dict]) -> tuple[int, str]:
    from feedlens.research import signing

    body = upload_body(records)
    headers = signing.headers(bytes.fromhex(mine["key"]), mine["study_id"], mine["participant"],
                              "POST", "/api/upload", body, time.time())
    request = urllib.request.Request(url + "/api/upload", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
