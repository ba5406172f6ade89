"""Engine workers start lazily (issue 16): a proxy that never sees a large feed body runs no
worker process; the first large body starts one, through real mitmdump."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import start_feedlens, wait_until
from .test_leftovers_e2e import workers
from .test_proxy_e2e import RCMD_URL, items

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]


def test_no_worker_until_a_large_feed_body_arrives(replay, certs, tmp_path):
    feedlens = start_feedlens(tmp_path, replay, certs / "ca.pem", "--profile", "no-ads")
    try:
        status, _, small = feedlens.fetch(RCMD_URL)  # a small feed: processed inline
        assert status == 200 and items(small)
        assert workers(feedlens.proc.pid) == {}  # after start-up and a feed: no engine worker
        for _ in range(2):  # the first large body starts a worker (and is processed inline)
            status, _, large = feedlens.fetch(RCMD_URL, {"x-replay-body": "large",
                                                         "x-replay-size": str(256 << 10)})
            assert status == 200 and len(items(large)) > len(items(small))
        wait_until(lambda: workers(feedlens.proc.pid), 30, "an engine worker")
        assert len(workers(feedlens.proc.pid)) >= 1
    finally:
        feedlens.proc.stop()
