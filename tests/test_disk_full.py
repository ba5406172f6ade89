"""Errors told as they are (issue 15, item 7): with the disk full, the real SQLite error
("database or disk is full") reaches the log, health and the caller, never "cannot rollback -
no transaction is active"; the CLI reports a failing data store in one line, not a traceback.

The full disk is real SQLite's: PRAGMA max_page_count caps the file at its current size, so the
next write that needs a page fails with SQLITE_FULL, as on a full disk."""

from __future__ import annotations

import logging
import resource
import sqlite3
import subprocess
import sys

import pytest

from feedlens.sqlerrors import DISK_FULL
from feedlens.store import Store
from tests.service_support import auth, client, demo_item, record, rules_dir, runtime, token  # noqa: F401

from .conftest import ROOT

pytestmark = pytest.mark.filterwarnings("error")


async def fill_up(store: Store) -> None:
    """Cap the file at its size (real SQLite), then log responses until a batch cannot fit."""
    await store.run_write(lambda conn: conn.execute("PRAGMA max_page_count = 1"))  # = its size now
    for batch in range(50):
        store.submit(record([demo_item(i, f"b{batch}-{i}", author=f"author-{i}" * 20)
                             for i in range(200)]))
        await store.flush()
        if store.counts["write_errors"]:
            return
    raise AssertionError("the capped store never filled up")


async def test_a_full_disk_is_reported_as_a_full_disk(tmp_path, caplog):
    store = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await store.start()
    try:
        with caplog.at_level(logging.ERROR, logger="feedlens.store"):
            await fill_up(store)
            store.submit(record([demo_item(i, f"more-{i}") for i in range(500)]))
            await store.flush()
        assert store.last_error == f"{DISK_FULL} (database or disk is full)"
        assert store.counts["write_errors"] >= 2
        logged = [r.getMessage() for r in caplog.records if "item log" in r.getMessage()]
        assert len(logged) == 1 and logged[0].endswith(store.last_error)  # once, not per batch

        def insert(conn):
            conn.executemany("INSERT INTO responses (time, changed, item_count, url) VALUES (0, 0, 0, ?)",
                             [("x" * 2000,)] * 500)
        with pytest.raises(sqlite3.OperationalError, match="^database or disk is full$"):
            await store.run_write(insert)  # the caller gets the real error, not the rollback's
        assert not any("cannot rollback" in m for m in [store.last_error, *logged])
    finally:
        await store.close()


async def test_health_shows_the_full_disk(client, auth, runtime):
    await fill_up(runtime.store)
    health = await (await client.get("/api/health", headers=auth)).json()
    assert health["store"]["last_error"] == f"{DISK_FULL} (database or disk is full)"
    assert health["store"]["written"]["write_errors"] >= 1


def limited_files(limit: int):
    def apply() -> None:  # in the child: writes past `limit` bytes fail (EFBIG), as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_set_pin_on_an_unwritable_data_store_says_so_in_one_line(tmp_path):
    command = [sys.executable, "-m", "feedlens.cli", "parent", "--data-dir", str(tmp_path),
               "set-pin", "--pin-stdin"]
    # SQLite's shared-memory file alone needs 32 KiB: the store cannot even open
    result = subprocess.run(command, input="2468\n", capture_output=True, text=True, cwd=ROOT,
                            timeout=120, preexec_fn=limited_files(16 * 1024))
    assert result.returncode == 2
    assert result.stderr == ("error: the item log: OperationalError: disk I/O error (check the free "
                             "disk space and the data dir's permissions)\n")
    assert "Traceback" not in result.stderr
