"""A clean stop loses nothing (issue 15, item 7): every feed response the proxy answered before
SIGTERM or Ctrl-C is in the item log after it, however recent."""

from __future__ import annotations

import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import start_feedlens
from .test_proxy_e2e import RCMD, RCMD_URL, items

pytestmark = pytest.mark.e2e

BURST = 300


def logged(db) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return (conn.execute("SELECT count(*) FROM responses WHERE endpoint = 'web-home-recommend'").fetchone()[0],
                conn.execute("SELECT count(*) FROM items WHERE endpoint = 'web-home-recommend'").fetchone()[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_clean_stop_right_after_a_burst_loses_no_item(replay, certs, tmp_path, sig):
    feedlens = start_feedlens(tmp_path, replay, certs / "ca.pem", "--profile", "no-ads")
    try:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda n: feedlens.fetch(f"{RCMD_URL}&n={n}"), range(BURST)))
        feedlens.proc.popen.send_signal(sig)  # right away: the last batches are still queued
        assert feedlens.proc.popen.wait(60) == 0, feedlens.proc.output()
    finally:
        feedlens.proc.stop()
    assert [status for status, _, _ in answers] == [200] * BURST
    per_response = len(items(RCMD[4]))  # every item of the fixture, the hidden ad too
    assert logged(feedlens.db) == (BURST, BURST * per_response)
