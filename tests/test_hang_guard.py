"""The browser tests' hang guard (tests/browser/hang_guard.py) finds the Chromium processes this
pytest process started, however deep, and kills them; it leaves other processes alone."""

from __future__ import annotations

import shutil
import subprocess
import time

from tests.browser import hang_guard


def test_the_guard_kills_chromium_below_this_process_and_nothing_else(tmp_path):
    fake = tmp_path / "chromium-fake"
    shutil.copy(shutil.which("sleep"), fake)
    # a shell between: Chromium is a grandchild (under Playwright's driver) in the real run
    parent = subprocess.Popen(["sh", "-c", f"{fake} 60 & {shutil.which('sleep')} 60 & wait"])
    try:
        deadline = time.monotonic() + 10
        while not hang_guard.chromium_pids(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        [chromium] = hang_guard.chromium_pids(parent.pid)
        others = [pid for pid in hang_guard.descendants(parent.pid) if pid != chromium]
        assert len(others) == 1  # the plain sleep
        hang_guard.kill_chromium("tests/browser/test_x.py::test_y")
        deadline = time.monotonic() + 10
        while hang_guard.chromium_pids(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hang_guard.chromium_pids(parent.pid) == []
        assert hang_guard.descendants(parent.pid) == others
    finally:
        parent.kill()
        subprocess.run(["pkill", "-P", str(parent.pid)])
        parent.wait()
