"""The item log on real temporary SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from feedlens import store_schema as store_module
from feedlens.model import Evidence, Item, Provenance
from feedlens.store import SCHEMA_VERSION, ResponseRecord, Store, StoreError, migrate

NOW = 1_800_000_000.0


def make_item(position: int, item_id: str, provenance: str = "personalized", **extra) -> Item:
    values = dict(platform="demo", endpoint="home", surface="home", position=position, id=item_id,
                  kind="video", provenance=Provenance(provenance), author_id="u1", author="Alice",
                  title=f"title {item_id}", evidence=[Evidence("owner.following", False)],
                  labels=["ai-generated"], rule="home#1")
    values.update(extra)
    return Item(**values)


def make_record(items: list[Item], at: float = NOW, **extra) -> ResponseRecord:
    values = dict(time=at, platform="demo", endpoint="home", surface="home",
                  url="https://api.demo.test/feed/home", status=200, changed=True, error=None,
                  items=items)
    values.update(extra)
    return ResponseRecord(**values)


def rows(path, sql: str = "SELECT COUNT(*) FROM items") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    yield s
    await s.close()


# ---- opening and migrations ------------------------------------------------------------------

async def test_start_creates_a_wal_database_at_the_current_schema(store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"responses", "items"} <= tables
    columns = {r[1] for r in conn.execute("PRAGMA table_info(items)")}
    assert {"time", "platform", "endpoint", "surface", "position", "item_id", "author_id",
            "provenance", "reason", "decision", "rule", "evidence", "labels"} <= columns
    conn.close()


async def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "db.sqlite3"
    first = Store(path, prune_interval=0)
    await first.start()
    first.submit(make_record([make_item(0, "a")]))
    await first.close()
    second = Store(path, prune_interval=0)
    await second.start()
    assert await second.items() != []
    await second.close()
    assert rows(path, "PRAGMA user_version") == SCHEMA_VERSION


async def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        await Store(path).start()


def test_migrations_upgrade_one_version_at_a_time(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    assert migrate(conn) == SCHEMA_VERSION
    conn.execute("INSERT INTO responses (time, changed, item_count) VALUES (1, 0, 0)")
    extra = store_module.MIGRATIONS + [("ALTER TABLE responses ADD COLUMN client TEXT",)]
    assert migrate(conn, extra) == SCHEMA_VERSION + 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert conn.execute("SELECT COUNT(*), MAX(client) FROM responses").fetchone() == (1, None)


def test_a_failing_migration_rolls_back_entirely(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    migrate(conn)
    broken = store_module.MIGRATIONS + [("CREATE TABLE half (x)", "THIS IS NOT SQL")]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='half'").fetchone()[0] == 0


# ---- writing ---------------------------------------------------------------------------------

async def test_many_submits_go_through_one_writer_in_batches(tmp_path, monkeypatch):
    calls: list[tuple[int, str]] = []
    original = Store._insert

    def spy(self, batch):
        calls.append((len(batch), threading.current_thread().name))
        return original(self, batch)

    monkeypatch.setattr(Store, "_insert", spy)
    s = Store(tmp_path / "db.sqlite3", batch_size=100, flush_interval=0.05, prune_interval=0)
    await s.start()
    for n in range(1000):
        s.submit(make_record([make_item(i, f"{n}-{i}") for i in range(3)]))
    await s.flush()
    assert rows(s.path) == 3000
    assert rows(s.path, "SELECT COUNT(*) FROM responses") == 1000
    assert sum(size for size, _ in calls) == 1000
    assert max(size for size, _ in calls) <= 100
    assert len(calls) <= 12  # batched: ~10 transactions, not 1000
    assert {name for _, name in calls} == {"feedlens-store-writer"}
    assert s.status()["written"]["items"] == 3000
    await s.close()


async def test_submit_never_waits_on_disk(tmp_path, monkeypatch):
    """With the disk stalled (the writer blocked inside an insert), submit still returns."""
    original = Store._insert
    stalled, release = threading.Event(), threading.Event()

    def blocked(self, batch):
        stalled.set()
        release.wait(10)  # a disk that does not answer until the test says so
        return original(self, batch)

    monkeypatch.setattr(Store, "_insert", blocked)
    s = Store(tmp_path / "db.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    s.submit(make_record([make_item(0, "first")]))
    assert await asyncio.to_thread(stalled.wait, 10)
    for n in range(2000):  # would hang here if submit waited for the writer
        s.submit(make_record([make_item(0, str(n))]))
    assert rows(s.path) == 0  # nothing written yet: submit only queued
    release.set()
    await s.close()
    assert rows(s.path) == 2001


async def test_a_full_queue_drops_and_counts_instead_of_waiting(tmp_path):
    s = Store(tmp_path / "db.sqlite3", max_queue=5, prune_interval=0)
    await s.start()
    for n in range(12):
        s.submit(make_record([make_item(0, str(n))]))  # no await: the writer cannot drain
    assert s.counts["dropped"] == 7
    await s.flush()
    assert rows(s.path, "SELECT COUNT(*) FROM responses") == 5
    await s.close()


async def test_submit_from_a_worker_thread_is_safe(store):
    thread = threading.Thread(target=lambda: [store.submit(make_record([make_item(0, str(n))]))
                                              for n in range(50)])
    thread.start()
    await asyncio.to_thread(thread.join)
    await asyncio.sleep(0)  # let the loop run the handed-over callbacks
    await store.flush()
    assert rows(store.path, "SELECT COUNT(*) FROM responses") == 50


async def test_close_writes_what_is_still_queued(tmp_path):
    s = Store(tmp_path / "db.sqlite3", flush_interval=5, prune_interval=0)
    await s.start()
    s.submit(make_record([make_item(0, "a"), make_item(1, "b")]))
    await s.close()
    assert rows(s.path) == 2


async def test_flush_before_start_is_an_error(tmp_path):
    with pytest.raises(StoreError):
        await Store(tmp_path / "db.sqlite3").flush()


async def test_the_writer_survives_a_failed_batch(store, monkeypatch):
    original = Store._insert
    failures = iter([True])

    def flaky(self, batch):
        if next(failures, False):
            raise sqlite3.OperationalError("disk I/O error")
        return original(self, batch)

    monkeypatch.setattr(Store, "_insert", flaky)
    store.submit(make_record([make_item(0, "lost")]))
    await store.flush()
    store.submit(make_record([make_item(0, "kept")]))
    await store.flush()
    assert store.counts["write_errors"] == 1
    assert "disk I/O error" in store.status()["last_error"]
    assert [r["item_id"] for r in await store.items()] == ["kept"]


async def test_an_item_becomes_a_row_with_json_columns(store):
    item = make_item(4, "v9", "promoted", reason="广告", confidence=0.9, decision="hide",
                     decision_rule="no-ads", author_id=42)
    store.submit(make_record([item], changed=True, status=200))
    await store.flush()
    [row] = await store.items()
    assert row["item_id"] == "v9" and row["position"] == 4 and row["author_id"] == "42"
    assert row["provenance"] == "promoted" and row["reason"] == "广告"
    assert row["decision"] == "hide" and row["decision_rule"] == "no-ads"
    assert row["evidence"] == [{"source": "item", "path": "owner.following", "value": False}]
    assert row["labels"] == ["ai-generated"]
    assert row["title"] is None and row["time"] == NOW  # item text is never stored in items
    assert row["response_id"] > 0


# ---- reading ---------------------------------------------------------------------------------

async def test_marks_answer_the_latest_mark_per_item(store):
    store.submit(make_record([make_item(0, "a", "personalized"), make_item(1, "b", "followed")]))
    store.submit(make_record([make_item(0, "a", "promoted")], at=NOW + 10))
    store.submit(make_record([make_item(0, "a", "popular", platform="other")], at=NOW + 20))
    await store.flush()
    marks = await store.marks("demo", ["a", "b", "unseen"])
    assert set(marks) == {"a", "b"}
    assert marks["a"]["provenance"] == "promoted" and marks["a"]["time"] == NOW + 10
    assert marks["b"]["provenance"] == "followed"
    assert marks["a"]["evidence"][0]["path"] == "owner.following"
    assert await store.marks("demo", []) == {}


async def test_items_paginate_newest_first_without_overlap(store):
    for n in range(7):
        store.submit(make_record([make_item(0, f"i{n}")], at=NOW + n))
    await store.flush()
    seen, before = [], None
    while True:
        page = await store.items(limit=3, before_id=before)
        if not page:
            break
        seen.extend(r["item_id"] for r in page)
        before = page[-1]["id"]
    assert seen == [f"i{n}" for n in reversed(range(7))]


async def test_items_filter_by_platform_provenance_surface_and_time(store):
    store.submit(make_record([make_item(0, "a", "followed"), make_item(1, "b", "promoted")]))
    store.submit(make_record([make_item(0, "c", "promoted", platform="x", surface="search")],
                             at=NOW + 100, platform="x"))
    await store.flush()

    async def ids(**filters):
        return sorted(r["item_id"] for r in await store.items(**filters))

    assert await ids(platform="x") == ["c"]
    assert await ids(provenance="promoted") == ["b", "c"]
    assert await ids(surface="search") == ["c"]
    assert await ids(since=NOW + 50) == ["c"]
    assert await ids(until=NOW + 50) == ["a", "b"]
    assert await ids(platform="demo", provenance="followed") == ["a"]


async def test_stats_count_by_platform_surface_provenance_and_decision(store):
    store.submit(make_record([make_item(0, "a", "followed"), make_item(1, "b", "promoted",
                                                                       decision="hide")]))
    store.submit(make_record([make_item(0, "c", "personalized", platform="x", surface="search")],
                             at=NOW + 10, platform="x", changed=False, error="boom"))
    store.submit(make_record([make_item(0, "old")], at=NOW - 1000))
    await store.flush()
    stats = await store.stats(since=NOW, until=NOW + 60)
    assert stats["items"] == 3
    assert stats["responses"] == 2
    assert stats["changed_responses"] == 1 and stats["error_responses"] == 1
    assert stats["by_platform"] == {"demo": 2, "x": 1}
    assert stats["by_surface"] == {"home": 2, "search": 1}
    assert stats["by_provenance"] == {"followed": 1, "promoted": 1, "personalized": 1}
    assert stats["by_decision"] == {"keep": 2, "hide": 1}
    assert stats["by_platform_provenance"] == {"demo": {"followed": 1, "promoted": 1},
                                               "x": {"personalized": 1}}
    empty = await store.stats(since=0, until=1)
    assert empty["items"] == 0 and empty["by_platform"] == {}


# ---- retention -------------------------------------------------------------------------------

async def test_prune_removes_rows_older_than_the_retention(tmp_path):
    s = Store(tmp_path / "db.sqlite3", retention_days=30, prune_interval=0)
    await s.start()
    s.submit(make_record([make_item(0, "old1"), make_item(1, "old2")], at=NOW - 31 * 86400))
    s.submit(make_record([make_item(0, "new")], at=NOW - 29 * 86400))
    await s.flush()
    assert await s.prune(NOW) == 2
    assert [r["item_id"] for r in await s.items()] == ["new"]
    assert rows(s.path, "SELECT COUNT(*) FROM responses") == 1
    assert await s.prune(NOW) == 0
    await s.close()


async def test_zero_retention_keeps_everything(tmp_path):
    s = Store(tmp_path / "db.sqlite3", retention_days=0)
    await s.start()
    s.submit(make_record([make_item(0, "ancient")], at=1.0))
    await s.flush()
    assert await s.prune(NOW) == 0
    assert len(await s.items()) == 1
    await s.close()


async def test_start_prunes_what_expired_while_stopped(tmp_path):
    path = tmp_path / "db.sqlite3"
    first = Store(path, prune_interval=0)
    await first.start()
    first.submit(make_record([make_item(0, "stale")], at=time.time() - 100 * 86400))
    first.submit(make_record([make_item(0, "fresh")], at=time.time()))
    await first.close()
    second = Store(path, retention_days=90, prune_interval=3600)
    await second.start()
    for _ in range(500):  # the pruner task runs right after start
        if second.counts["pruned"]:
            break
        await asyncio.sleep(0.01)
    assert [r["item_id"] for r in await second.items()] == ["fresh"]
    await second.close()


# ---- feature tables --------------------------------------------------------------------------

TABLE_V1 = ("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)",)
TABLE_V2 = ("ALTER TABLE things ADD COLUMN note TEXT",)


async def test_feature_tables_migrate_by_their_own_version(tmp_path):
    path = tmp_path / "log.sqlite3"
    first = Store(path, prune_interval=0, components={"things": [TABLE_V1]})
    await first.start()
    await first.run_write(lambda conn: conn.execute("INSERT INTO things (name) VALUES ('a')"))
    await first.close()
    second = Store(path, prune_interval=0, components={"things": [TABLE_V1, TABLE_V2]})
    await second.start()
    await second.run_write(lambda conn: conn.execute("UPDATE things SET note = 'n'"))
    got = await second.run_read(lambda conn: conn.execute("SELECT name, note FROM things").fetchall())
    await second.close()
    assert [tuple(row) for row in got] == [("a", "n")]
    assert rows(path, "SELECT version FROM schema_components WHERE name = 'things'") == 2


async def test_a_newer_feature_table_version_is_refused(tmp_path):
    path = tmp_path / "log.sqlite3"
    store = Store(path, prune_interval=0, components={"things": [TABLE_V1, TABLE_V2]})
    await store.start()
    await store.close()
    with pytest.raises(StoreError, match="things"):
        await Store(path, prune_interval=0, components={"things": [TABLE_V1]}).start()


async def test_run_write_rolls_back_when_the_function_fails(tmp_path):
    store = Store(tmp_path / "log.sqlite3", prune_interval=0, components={"things": [TABLE_V1]})
    await store.start()

    def half_then_fail(conn):
        conn.execute("INSERT INTO things (name) VALUES ('half')")
        raise ValueError("boom")
    with pytest.raises(ValueError):
        await store.run_write(half_then_fail)
    count = await store.run_read(lambda conn: conn.execute("SELECT COUNT(*) FROM things").fetchone()[0])
    await store.close()
    assert count == 0


async def test_batch_hooks_run_inside_the_batch_transaction(store):
    seen = []
    store.batch_hooks.append(lambda conn, written: seen.extend(
        (record.platform, conn.execute("SELECT COUNT(*) FROM responses WHERE id = ?",
                                       (response_id,)).fetchone()[0]) for record, response_id in written))
    store.submit(make_record([make_item(0, "a")]))
    await store.flush()
    assert seen == [("demo", 1)]
