"""The kept versions live in the data dir feedlens is given (--data-dir, Config.data_dir), and
two processes never check one pack at once: `feedlens rules update` waits for the pack's lock
(flock on DATA/packs/NAME/.lock) that another update holds, then sees the new version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from feedlens.packs import updater, versions
from feedlens.packs.background import BackgroundUpdates
from feedlens.packs.subscriptions import load_all
from feedlens.runtime import Config, Runtime

from .pack_server import make_pack, new_key
from .test_pack_updates import ARCHIVE, home, server, subscribe  # noqa: F401 (fixtures)
from .test_packs_cli import ROOT, feedlens

NAME = "gadget-rules"


def env_of(home: Path, user_packs: Path) -> dict:
    return {"XDG_CONFIG_HOME": str(home / "config"), "FEEDLENS_DATA_DIR": str(home / "data"),
            "FEEDLENS_PACKS": str(user_packs)}


async def test_versions_live_in_the_data_dir_feedlens_is_given(home, server, user_packs):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    given = home / "given-data"
    runtime = Runtime(Config(data_dir=given, rules_dir=None))
    assert runtime.pack_updates.data_dir == given
    outcome, = await runtime.pack_updates.round(force=True)
    assert outcome.result == "updated", outcome.message
    assert (given / "packs" / NAME / "1" / "pack.yaml").is_file()
    assert not versions.root(NAME).exists()  # not the default data dir ($FEEDLENS_DATA_DIR)
    assert versions.active_version(NAME, given) == "1" and versions.history(NAME, given) == ["1"]
    row, = runtime.pack_updates.health()["rows"]
    assert (row["version"], row["kept"]) == ("1", ["1"])
    shown = feedlens("rules", "status", "--json", "--data-dir", given, env=env_of(home, user_packs))
    kept = {row["name"]: row.get("kept") for row in json.loads(shown.stdout)["packs"]}
    assert kept[NAME] == ["1"], shown.stderr


def test_the_background_updater_uses_its_data_dir(home, server):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    given = home / "elsewhere"
    assert BackgroundUpdates(0, lambda: None, given).data_dir == given
    assert updater.update_saved(NAME, given).result == "updated"
    assert versions.installed(NAME, "1", given) and not versions.installed(NAME, "1")
    assert load_all()[NAME].version == "1"


def locks_waiting_on(path: Path) -> int:
    """How many flock requests on `path` wait in the kernel (/proc/locks `->` lines)."""
    inode = os.stat(path).st_ino
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and "FLOCK" in line and _inode(line) == inode)


def _inode(line: str) -> int:
    # "1: -> FLOCK  ADVISORY  WRITE 1234 08:02:5678 0 EOF": the fifth field after "->" is major:minor:inode
    fields = line.split("->", 1)[1].split()
    return int(fields[4].rsplit(":", 1)[1])


def wait_for(condition, what: str) -> None:
    done = threading.Event()
    for _ in range(6000):  # a bound, not a threshold: the condition is met long before
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"never saw {what}")


def test_two_updates_at_once_activate_once(home, server, user_packs):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    server.gate = threading.Event()  # the first update's download stays in flight
    env = {**os.environ, **env_of(home, user_packs)}
    argv = [sys.executable, "-m", "feedlens.cli", "rules", "update"]
    first = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: server.hits[ARCHIVE] == 1, "the first download")  # it holds the lock
        second = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: locks_waiting_on(versions.root(NAME) / versions.LOCK) == 1, "the second update waiting")
        assert server.hits[ARCHIVE] == 1  # the second has not asked the server: it waits
    finally:
        server.gate.set()
    outputs = [proc.communicate(timeout=120) for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0], outputs
    assert outputs[0][0].startswith(f"{NAME}: updated: ")
    assert outputs[1][0].startswith(f"{NAME}: not modified: ")  # it read the record the first wrote
    assert versions.history(NAME) == ["1"] and versions.active_version(NAME) == "1"
    assert server.hits[ARCHIVE] == 2 and server.conditional[ARCHIVE] == 1
