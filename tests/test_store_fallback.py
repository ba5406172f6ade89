"""A data dir the store cannot write: it runs on an in-memory copy, logs nothing, says why."""

from __future__ import annotations

import sqlite3

import pytest

from feedlens import store_fallback
from feedlens.store import Store

from .test_store import make_item, make_record

pytestmark = pytest.mark.filterwarnings("error")


async def test_a_data_dir_that_cannot_be_created_leaves_the_store_running_without_logging(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    path = blocker / "data" / "feedlens.sqlite3"
    with pytest.raises(NotADirectoryError):  # a command's store fails: a PIN must not vanish
        await Store(path, prune_interval=0).start()
    store = Store(path, flush_interval=0.01, prune_interval=0, fail_open=True)  # the proxy's
    await store.start()
    try:
        assert store.logging is False
        assert store.last_error.startswith(store_fallback.LOGGING_OFF) and "NotADirectoryError" in store.last_error
        assert store.status()["logging"] is False
        store.submit(make_record([make_item(0, "a")]))
        await store.flush()
        assert store.counts["responses"] == 0 and store.counts["write_errors"] == 0
        # what the features keep in the store still works, in memory
        await store.run_write(lambda c: c.execute(
            "INSERT INTO responses (time, changed, item_count) VALUES (1, 0, 0)"))
        assert await store._read(lambda: store._rconn.execute(
            "SELECT count(*) FROM responses").fetchone()[0]) == 1
    finally:
        await store.close()
    assert not (blocker / "data").exists()


async def test_the_in_memory_copy_starts_from_the_file(tmp_path):
    path = tmp_path / "feedlens.sqlite3"
    store = Store(path, flush_interval=0.01, prune_interval=0)
    await store.start()
    store.submit(make_record([make_item(0, "a"), make_item(1, "b")]))
    await store.close()
    writer, reader = store_fallback.memory_pair(path)
    try:
        assert reader.execute("SELECT count(*) FROM items").fetchone()[0] == 2
        writer.execute("DELETE FROM items")
        assert reader.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    finally:
        writer.close()
        reader.close()
    with sqlite3.connect(path) as conn:  # the file itself is untouched
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2


def test_a_read_only_connection_fails_the_write_probe(tmp_path):
    path = tmp_path / "x.sqlite3"
    sqlite3.connect(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store_fallback.probe(conn)
    assert not conn.in_transaction
    conn.close()


def test_only_errors_of_an_unwritable_place_fall_back():
    assert store_fallback.unwritable(PermissionError(13, "Permission denied"))
    assert store_fallback.unwritable(OSError(30, "Read-only file system"))
    assert not store_fallback.unwritable(ValueError("a bug"))
    assert not store_fallback.unwritable(sqlite3.ProgrammingError("a bug"))
