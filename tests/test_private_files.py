"""Private files (issue 15, item 5): the data dir is 0700 and every file in it 0600, for a new
install and, fixed at start, for one an older feedlens left 0755/0644 (real Runtime, real
SQLite, real service token)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from feedlens import private
from feedlens.files import write_atomic
from feedlens.service.security import load_or_create_token
from tests.service_support import demo_item, real_runtime, record, write_rules

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def usual_umask():
    """The common 022, under which files are 0644 unless feedlens says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


async def use(data_dir: Path, rules: Path) -> dict[str, int]:
    """Start feedlens's runtime, log an item, switch the profile, make the service token."""
    runtime = real_runtime(data_dir, rules)
    await runtime.start()
    try:
        runtime.store.submit(record([demo_item(0, "a1")]))
        await runtime.store.flush()
        runtime.set_profile("strict")
        load_or_create_token(data_dir)
        found = modes(data_dir)  # while SQLite's -wal and -shm exist
    finally:
        await runtime.close()
    return found


async def test_a_new_data_dir_is_private(tmp_path):
    rules, data_dir = write_rules(tmp_path / "rules"), tmp_path / "data"
    found = await use(data_dir, rules)
    assert {"feedlens.sqlite3", "feedlens.sqlite3-wal", "feedlens.sqlite3-shm", "token",
            "state.json"} <= set(found)
    assert found == {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in found}


async def test_an_older_install_is_made_private_at_start(tmp_path):
    rules, data_dir = write_rules(tmp_path / "rules"), tmp_path / "data"
    await use(data_dir, rules)
    old = [data_dir, data_dir / "mitmproxy", data_dir / "exports"]
    for folder in old:
        folder.mkdir(exist_ok=True)
        folder.chmod(0o755)
    for path in [*data_dir.iterdir(), data_dir / "mitmproxy" / "ca.pem", data_dir / "exports" / "x.csv"]:
        if not path.is_dir():
            path.touch()
            path.chmod(0o644)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    outside.chmod(0o644)
    (data_dir / "link").symlink_to(outside)
    found = await use(data_dir, rules)
    assert found == {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in found}
    assert found["mitmproxy/ca.pem"] == found["exports/x.csv"] == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a symlink is not followed


def test_write_atomic_makes_new_files_private_only_in_a_private_dir(tmp_path):
    shared, mine = tmp_path / "shared", private.ensure_dir(tmp_path / "mine")
    shared.mkdir()
    write_atomic(shared / "a.yaml", "a: 1")
    write_atomic(mine / "a.json", "{}")
    assert stat.S_IMODE((shared / "a.yaml").stat().st_mode) == 0o644
    assert stat.S_IMODE((mine / "a.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
