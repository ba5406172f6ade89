"""No leftovers: `kill -9` of `feedlens run` leaves no worker process behind (issue 15, 3c)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .conftest import start_feedlens, wait_until
from .test_proxy_e2e import RCMD_URL

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]

GRACE = 5.0  # the acceptance bound: no worker outlives feedlens by more than this


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a process, or None once it is gone (or a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (None if fields[0] == "Z" else (int(fields[1]), fields[19]))


def descendants(root: int) -> dict[int, str]:
    """Every process under `root`, by pid, with its start time (a reused pid is another one)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, started) in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                todo.append(pid)
    return found


def workers(root: int) -> dict[int, str]:
    def is_worker(pid):
        try:
            return b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
    return {pid: started for pid, started in descendants(root).items() if is_worker(pid)}


def survivors(known: dict[int, str]) -> list[int]:
    return [pid for pid, started in known.items() if (s := _stat(pid)) is not None and s[1] == started]


def test_no_worker_outlives_feedlens_killed_with_sigkill(replay, certs, tmp_path):
    feedlens = start_feedlens(tmp_path, replay, certs / "ca.pem", "--profile", "no-ads")
    everything: dict[int, str] = {}
    try:
        # a body well over the offload threshold: processed in a worker
        status, _, body = feedlens.fetch(RCMD_URL, {"x-replay-body": "large"})
        assert status == 200 and len(body) > 1 << 20
        pool = wait_until(lambda: workers(feedlens.proc.pid), 30, "the worker processes")
        everything = descendants(feedlens.proc.pid)
        os.kill(feedlens.proc.pid, signal.SIGKILL)
        feedlens.proc.popen.wait(10)
        wait_until(lambda: not survivors(everything), GRACE,
                   f"workers {sorted(pool)} (and every other child) to end after kill -9")
    finally:
        feedlens.proc.stop()
        for pid in survivors(everything):  # a failed run leaves nothing behind either
            os.kill(pid, signal.SIGKILL)
