"""Shared pieces of the research data tests: items with distinctive text, a real Store with
Research attached, and a scan of every table and column of the SQLite file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from feedlens.model import Item, Provenance
from feedlens.research.recorder import Research
from feedlens.store import FILE_NAME, ResponseRecord, Store

NOW = time.time()


def distinctive_item(n: int, provenance: str = "personalized", platform: str = "demo",
                     **extra) -> Item:
    """An item whose every text field carries a marker no other value contains."""
    values = dict(platform=platform, endpoint="home", surface="home", position=n,
                  id=f"ITEMID{n:04d}Q", kind="video", provenance=Provenance(provenance),
                  author_id=f"AUTHORID{n % 3}Q", author=f"AUTHORNAME{n % 3}Q",
                  title=f"TITLEMARK{n:04d}Q 标题", text=f"TEXTMARK{n:04d}Q 正文",
                  url=f"https://demo.test/URLMARK{n:04d}Q", reason=f"REASONMARK{n:04d}Q",
                  rule="home#2")
    values.update(extra)
    return Item(**values)


def response(items: list[Item], at: float | None = None) -> ResponseRecord:
    return ResponseRecord(time=NOW if at is None else at, platform=items[0].platform if items else "demo",
                          endpoint="home", surface="home", url="https://api.demo.test/feed/home",
                          status=200, changed=False, error=None, items=items)


class Install:
    """One feedlens data dir with a real Store and Research, as the runtime wires them."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.store = Store(data_dir / FILE_NAME, flush_interval=0.01, prune_interval=0)
        self.research = Research(self.store, data_dir)

    async def start(self) -> "Install":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self.store.start()
        await self.research.start()
        return self

    async def feed(self, *records: ResponseRecord) -> None:
        for record in records:
            self.store.submit(record)
        await self.store.flush()

    async def close(self) -> None:
        await self.store.close()

    @property
    def db_path(self) -> Path:
        return self.data_dir / FILE_NAME


def where_found(db_path: Path, marker: str) -> set[tuple[str, str]]:
    """Every (table, column) of the SQLite file whose value contains `marker`."""
    conn = sqlite3.connect(db_path)
    try:
        found = set()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                hit = conn.execute(f'SELECT 1 FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?)'
                                   f' LIMIT 1', (marker,)).fetchone()
                if hit:
                    found.add((table, column))
        return found
    finally:
        conn.close()


def on_disk(data_dir: Path, marker: str) -> list[str]:
    """Files in the data dir whose raw bytes contain `marker` (database, WAL, keys…)."""
    needle = marker.encode()
    return sorted(p.name for p in data_dir.rglob("*") if p.is_file() and needle in p.read_bytes())


def count(db_path: Path, table: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    finally:
        conn.close()
