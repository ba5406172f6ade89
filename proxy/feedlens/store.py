"""The item log: one SQLite file, written by one thread in batches, read on its own connection.

The proxy calls `submit()` for every feed response; it only puts the record on a queue, so
the per-response path never waits on disk and the event loop does no logging work besides.
One writer thread (store_writer.py) drains the queue in batches, builds the rows and inserts
them (store_rows.py). Reads use a second connection (WAL lets readers run beside the writer)
on another thread, so the event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time as _time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import hooks, private
from . import store_fallback as fallback
from .sqlerrors import describe, rollback
from .store_rows import (_JSON_COLUMNS, _MARK_FIELDS, ITEM_COLUMNS, ResponseRecord, hashed_id,  # noqa: F401
                         _composition, _filters, _row_dict, insert_rows, item_row)
from .store_writer import Writer
from .store_schema import (SCHEMA_VERSION, StoreError, _connect, _migrate_all,  # noqa: F401
                           component_schemas, migrate, migrate_component, open_readonly)

log = logging.getLogger(__name__)

FILE_NAME = "feedlens.sqlite3"
DAY = 86400.0

class Store:
    def __init__(self, path: Path, *, retention_days: int = 90, batch_size: int = 2000,
                 flush_interval: float = 0.2, max_queue: int = 100_000,
                 prune_interval: float = 3600.0,
                 components: dict[str, list[tuple[str, ...]]] | None = None,
                 fail_open: bool = False):
        """`fail_open`: the proxy's store, which runs in memory rather than stop browsing when
        the file cannot be written; a command (set-pin, ...) must fail instead."""
        self.path = Path(path)
        self.fail_open = fail_open
        self.components = component_schemas() if components is None else components
        # The features' own old rows (hooks.register_store_pruner, under their tables' name),
        # pruned with the items.
        self.pruners = hooks.store_pruners()
        # Called inside each batch's transaction, on the writer thread: fn(conn, [(record, id)]).
        self.batch_hooks: list[Callable[[sqlite3.Connection, list[tuple[ResponseRecord, int]]], None]] = []
        self.retention_days = retention_days
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.prune_interval = prune_interval
        self._writer = Writer(self._write_batch, name="feedlens-store-writer", batch_size=batch_size,
                              flush_interval=flush_interval, max_queue=max_queue)
        self._reader_pool = ThreadPoolExecutor(1, thread_name_prefix="feedlens-store-reader")
        self._wconn: sqlite3.Connection | None = None
        self._rconn: sqlite3.Connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tasks: list[asyncio.Task] = []
        self.counts = {"responses": 0, "items": 0, "dropped": 0, "write_errors": 0, "pruned": 0}
        self.last_error: str | None = None
        self.logging = True  # False: the data dir cannot be written (store_fallback)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._writer.running:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        try:
            try:
                await self._open()
            except (OSError, sqlite3.Error) as exc:
                if not (self.fail_open and fallback.unwritable(exc)):
                    raise
                await self._open_in_memory(exc)  # fail open: browsing must not need the disk
        except BaseException:
            await self._release()
            raise
        self._writer.start()
        self._tasks = []
        if self.retention_days > 0 and self.prune_interval > 0:
            self._tasks.append(asyncio.create_task(self._pruner(), name="feedlens-store-prune"))

    async def _open(self) -> None:
        private.ensure_dir(self.path.parent)
        private.ensure_file(self.path)  # 0600 before SQLite opens it; -wal and -shm copy its mode
        self._wconn = await self._write(lambda: _connect(self.path, readonly=False))
        await self._write(lambda: _migrate_all(self._wconn, self.components))
        await self._write(lambda: fallback.probe(self._wconn))  # a read-only file opens too
        self._rconn = await self._read(lambda: _connect(self.path, readonly=True))

    async def _open_in_memory(self, exc: BaseException) -> None:
        await self._close_connections()
        self._wconn, self._rconn = await self._write(lambda: fallback.memory_pair(self.path))
        await self._write(lambda: _migrate_all(self._wconn, self.components))
        self.logging, self.last_error = False, fallback.why(exc)
        log.warning("feedlens: %s", self.last_error)  # an error would stop mitmproxy at start

    async def close(self) -> None:
        if not self._writer.running:
            return
        await self.flush()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._release()

    async def _release(self) -> None:
        await self._close_connections()
        await self._writer.stop()  # after the connection's close: the thread ran it in order
        self._reader_pool.shutdown(wait=True)

    async def _close_connections(self) -> None:
        if self._wconn is not None:
            await self._write(self._wconn.close)
        if self._rconn is not None:
            await self._read(self._rconn.close)
        self._wconn = self._rconn = None

    # -- writing -----------------------------------------------------------------------------

    def submit(self, record: ResponseRecord) -> None:
        """Queue a record; never waits. Safe to call from another thread than the loop's."""
        if not self.logging:
            return
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._enqueue, record)  # one thread counts what is put
        else:
            self._enqueue(record)

    def _enqueue(self, record: ResponseRecord) -> None:
        if not self._writer.put(record):
            # Disk is behind: losing log rows is better than slowing the user's traffic.
            self.counts["dropped"] += 1
            if self.counts["dropped"] in (1, 1000) or self.counts["dropped"] % 100_000 == 0:
                log.warning("item log queue full: %d records dropped", self.counts["dropped"])

    async def flush(self) -> None:
        """Wait until everything submitted before this call is written."""
        if not self._writer.running:
            raise StoreError("store is not started")
        await self._writer.call(lambda: None)  # runs after the batch that holds those records

    def _write_batch(self, batch: list[ResponseRecord]) -> None:
        """On the writer thread; the thread must survive a bad batch (disk full, odd data)."""
        try:
            items = self._insert(batch)
        except Exception as exc:
            self.counts["write_errors"] += 1
            error = describe(exc)
            if error != self.last_error:  # once per distinct error: a full disk does not flood the log
                log.error("item log: could not write %d responses: %s", len(batch), error)
            self.last_error = error
            return
        self.counts["responses"] += len(batch)
        self.counts["items"] += items

    def _insert(self, batch: list[ResponseRecord]) -> int:
        """One transaction: the responses, their items, the batch hooks; returns the items."""
        conn = self._wconn
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: the ids below stay ours
        try:
            written = insert_rows(conn, batch)
            for hook in self.batch_hooks:
                hook(conn, written)
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)  # only if SQLite has not; the real error is what is raised
            raise
        return sum(len(record.items) for record in batch)

    # -- retention ---------------------------------------------------------------------------

    async def prune(self, now: float) -> int:
        """Delete rows older than the retention period; returns how many items went."""
        if self.retention_days <= 0:
            return 0
        cutoff = now - self.retention_days * DAY
        removed = await self._write(lambda: self._delete_before(cutoff))
        self.counts["pruned"] += removed
        return removed

    def _delete_before(self, cutoff: float) -> int:
        conn = self._wconn
        conn.execute("BEGIN")
        try:
            removed = conn.execute("DELETE FROM items WHERE time < ?", (cutoff,)).rowcount
            conn.execute("DELETE FROM responses WHERE time < ?", (cutoff,))
            for name, prune in self.pruners.items():
                if name in self.components:  # a store opened without the feature's tables
                    prune(conn, cutoff)
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)  # only if SQLite has not; the real error is what is raised
            raise
        return removed

    async def _pruner(self) -> None:
        while True:
            try:
                await self.prune(_time.time())
            except sqlite3.Error as exc:
                log.error("item log: retention prune failed: %s", exc)
            await asyncio.sleep(self.prune_interval)

    # -- reading -----------------------------------------------------------------------------

    async def marks(self, platform: str, ids: list[str]) -> dict[str, dict]:
        """The latest mark of each item id the proxy saw on this platform."""
        if not ids:
            return {}
        asked = {hashed_id(i): i for i in ids} | {i: i for i in ids}  # an id that is text is hashed
        marks = ",".join("?" * len(asked))
        sql = (f"SELECT i.* FROM items i JOIN (SELECT MAX(id) AS id FROM items WHERE platform = ?"
               f" AND item_id IN ({marks}) GROUP BY item_id) latest ON i.id = latest.id ORDER BY i.id")
        rows = await self._query(sql, (platform, *asked))
        return {asked[row["item_id"]]: {k: row[k] for k in _MARK_FIELDS} | {"item_id": asked[row["item_id"]]}
                for row in rows}

    async def items(self, *, limit: int = 50, before_id: int | None = None,
                    platform: str | None = None, provenance: str | None = None,
                    surface: str | None = None, since: float | None = None,
                    until: float | None = None) -> list[dict]:
        """Most recent first; page with `before_id` = the last row id of the previous page."""
        where, params = _filters(platform=platform, provenance=provenance, surface=surface,
                                 since=since, until=until)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT * FROM items {clause} ORDER BY id DESC LIMIT ?"
        return await self._query(sql, (*params, limit))

    async def stats(self, *, since: float, until: float) -> dict:
        """Composition counts of items seen in [since, until)."""
        span = (since, until)
        groups = await self._query(
            # rows logged before formats were (schema 5) count as unknown
            "SELECT platform, surface, provenance, decision, COALESCE(format, 'unknown') AS format,"
            " COUNT(*) AS n FROM items WHERE time >= ? AND time < ? GROUP BY 1, 2, 3, 4, 5", span)
        responses = await self._query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(changed), 0) AS changed,"
            " COUNT(error) AS errors FROM responses WHERE time >= ? AND time < ?", span)
        out = _composition(groups)
        out.update(since=since, until=until, responses=responses[0]["n"],
                   changed_responses=responses[0]["changed"], error_responses=responses[0]["errors"])
        return out

    def status(self) -> dict:
        return {"path": str(self.path), "schema_version": SCHEMA_VERSION,
                "queued": self._writer.backlog(), "written": dict(self.counts),
                "last_error": self.last_error, "logging": self.logging, "retention_days": self.retention_days}

    async def run_write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run fn(conn) in one transaction on the writer thread (the only writer); returns its result."""
        if self._wconn is None:
            raise StoreError("store is not started")

        def transaction():
            conn = self._wconn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
            return result
        return await self._write(transaction)

    async def run_read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run fn(conn) on the read-only connection's thread."""
        if self._rconn is None:
            raise StoreError("store is not started")
        return await self._read(lambda: fn(self._rconn))

    async def _query(self, sql: str, params: tuple) -> list[dict]:
        def run() -> list[dict]:
            return [_row_dict(row) for row in self._rconn.execute(sql, params)]
        if self._rconn is None:
            raise StoreError("store is not started")
        return await self._read(run)

    # -- threads -----------------------------------------------------------------------------

    async def _write(self, fn: Callable[[], Any]) -> Any:
        return await self._writer.call(fn)

    async def _read(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._reader_pool, fn)
