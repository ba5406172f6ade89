"""A guard against a browser test that never returns.

Some Playwright calls have no timeout (page.close, evaluate), and Chromium can leave one waiting
for ever: closing a page in the middle of a navigation's commit is acknowledged and never done
(microsoft/playwright#42366). One such call would hang the whole run until CI's limit. After
HANG_S seconds of one test (setup, call and teardown), the guard kills the Chromium processes
this pytest process started: the pending call then fails, the test reports the line it stood
on, and the run goes on."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

HANG_S = 300


def descendants(root: int) -> list[int]:
    """Every process below `root`, from /proc (Playwright's driver, and Chromium below it)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def chromium_pids(root: int) -> list[int]:
    pids = []
    for pid in descendants(root):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith(("chrom", "headless_shell")):
            pids.append(pid)
    return pids


def kill_chromium(test_id: str) -> None:
    pids = chromium_pids(os.getpid())
    sys.__stderr__.write(f"\nhang guard: {test_id} ran over {HANG_S} s; killing Chromium {pids}\n")
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def guarded(test_id: str) -> threading.Timer:
    timer = threading.Timer(HANG_S, kill_chromium, args=(test_id,))
    timer.daemon = True
    timer.start()
    return timer
