"""A data dir feedlens cannot write keeps the proxy serving (issue 15, 3c): logging off, health
red, feeds still read and rewritten.

The data dir is really read-only: a read-only bind mount in a private mount namespace
(`unshare`; file modes would not do: they do not stop root, and feedlens puts its own data
dir's modes right at start).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from .conftest import Feedlens, Proc, all_hosts, free_port, start_feedlens, wait_ready
from .test_proxy_e2e import MARKS, RCMD_URL, items

pytestmark = pytest.mark.e2e


def responses_logged(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]


def start_read_only(tmp: Path, data_dir: Path, replay_port: int, ca: Path) -> Feedlens:
    proxy_port, service_port = free_port(), free_port()
    argv = [sys.executable, "-m", "feedlens.cli", "run", "--data-dir", str(data_dir),
            "--listen-port", str(proxy_port), "--service-port", str(service_port),
            "--upstream-ca", str(ca), "--profile", "no-ads", "--mark-style", "all",
            *[f"--resolve={host}=127.0.0.1:{replay_port}" for host in all_hosts()]]
    assert shutil.which("unshare"), "the test needs unshare(1) to mount the data dir read-only"
    argv = ["unshare", "--map-root-user", "--mount", "sh", "-c",
            'mount --bind -o ro "$0" "$0" && exec "$@"', str(data_dir), *argv]
    proc = Proc.start(argv, tmp / "feedlens-ro.log")
    wait_ready(proc, service_port)
    return Feedlens(proc, data_dir, proxy_port, service_port)


def test_a_read_only_data_dir_keeps_the_proxy_serving(replay, certs, tmp_path):
    first = start_feedlens(tmp_path, replay, certs / "ca.pem", "--profile", "no-ads")
    try:  # a data dir as a real run leaves it: CA, token, item log with one response in it
        first.fetch(RCMD_URL)
    finally:
        first.proc.stop()
    before = responses_logged(first.db)
    assert before >= 1

    feedlens = start_read_only(tmp_path, first.data_dir, replay, certs / "ca.pem")
    try:
        status, _, body = feedlens.fetch(RCMD_URL.replace("ps=12", "ps=12&ro=1"))
        assert status == 200
        assert all(i.title.startswith(MARKS) for i in items(body))  # still read and rewritten
        health = feedlens.health()
        assert health["ok"] is False and health["store"]["logging"] is False
        assert "data dir cannot be written" in health["store"]["last_error"]
        assert feedlens.proc.alive()
    finally:
        feedlens.proc.stop()
    assert feedlens.proc.popen.returncode == 0, feedlens.proc.output()
    assert responses_logged(first.db) == before  # nothing was written meanwhile
