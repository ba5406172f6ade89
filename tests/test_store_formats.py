"""Format, relation and duration in the item log (schema 5): written by item_row, answered by
marks, /api/marks and /api/items, counted by stats, and an older (version 4) file upgraded in
place with its rows kept."""

from __future__ import annotations

import sqlite3
import time

import pytest

from feedlens import store_schema
from feedlens.research import schema as research_schema
from feedlens.store import SCHEMA_VERSION, Store
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, record, rules_dir, runtime, token,
)
from tests.test_store import NOW, make_item, make_record

SHORT = dict(format="short_video", relation="original", duration_s=42,
             format_why="reelWatchEndpoint != null", relation_why="relation: original")
REPOST = dict(format="image", relation="repost", format_why="format: image",
              relation_why="retweeted_status_result != null")


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    yield s
    await s.close()


async def test_an_item_row_keeps_format_relation_duration_and_their_signals(store):
    store.submit(make_record([make_item(0, "s1", **SHORT), make_item(1, "r1", **REPOST)]))
    await store.flush()
    rows = {r["item_id"]: r for r in await store.items()}
    assert (rows["s1"]["format"], rows["s1"]["relation"], rows["s1"]["duration_s"]) == (
        "short_video", "original", 42)
    assert rows["s1"]["format_why"] == "reelWatchEndpoint != null"
    assert rows["r1"]["duration_s"] is None and rows["r1"]["relation"] == "repost"
    marks = await store.marks("demo", ["s1", "r1"])
    assert {k: marks["s1"][k] for k in SHORT} == SHORT
    assert {k: marks["r1"][k] for k in REPOST} == REPOST


async def test_an_item_the_adapter_says_nothing_about_is_logged_unknown(store):
    store.submit(make_record([make_item(0, "plain")]))  # Item's defaults
    await store.flush()
    mark = (await store.marks("demo", ["plain"]))["plain"]
    assert (mark["format"], mark["relation"], mark["duration_s"]) == ("unknown", "unknown", None)


async def test_stats_count_provenance_by_format(store):
    store.submit(make_record([make_item(0, "a", "personalized", **SHORT),
                              make_item(1, "b", "personalized", **SHORT),
                              make_item(2, "c", "followed", **REPOST),
                              make_item(3, "d", "followed", format="video")]))
    await store.flush()
    stats = await store.stats(since=NOW, until=NOW + 1)
    assert stats["by_format"] == {"short_video": 2, "image": 1, "video": 1}
    assert stats["by_provenance_format"] == {"personalized": {"short_video": 2},
                                             "followed": {"image": 1, "video": 1}}


# ---- an older file ---------------------------------------------------------------------------

def version_4_file(path) -> None:
    """The item log as feedlens wrote it before formats: core schema 4, research tables 1,
    one item and one research record."""
    conn = sqlite3.connect(path, isolation_level=None)
    store_schema.migrate(conn, store_schema.MIGRATIONS[:4])
    store_schema.migrate_component(conn, "research", research_schema.MIGRATIONS[:1])
    conn.execute("INSERT INTO responses (id, time, platform, endpoint, surface, url, status,"
                 " changed, item_count) VALUES (1, ?, 'demo', 'home', 'home', 'u', 200, 0, 1)", (NOW,))
    conn.execute("INSERT INTO items (response_id, time, platform, endpoint, surface, position,"
                 " item_id, kind, provenance, evidence, labels, decision) VALUES"
                 " (1, ?, 'demo', 'home', 'home', 0, 'old', 'video', 'followed', '[]', '[]', 'keep')",
                 (NOW,))
    conn.execute("INSERT INTO research_consents (id, study_id, consent_version, fields,"
                 " retention_days, participant, created) VALUES (1, 's', '1', '[]', 30, 'p', ?)", (NOW,))
    conn.execute("INSERT INTO research_records (consent_id, time, platform, provenance)"
                 " VALUES (1, ?, 'demo', 'followed')", (NOW,))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()


def columns(path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


async def test_a_version_4_file_upgrades_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feedlens.sqlite3"
    version_4_file(path)
    assert "format" not in columns(path, "items")
    s = Store(path, flush_interval=0.01, prune_interval=0,
              components={"research": research_schema.MIGRATIONS})
    await s.start()
    try:
        s.submit(make_record([make_item(0, "new", **SHORT)], at=NOW + 5))
        await s.flush()
        marks = await s.marks("demo", ["old", "new"])
        assert marks["old"]["provenance"] == "followed"  # kept
        assert (marks["old"]["format"], marks["old"]["relation"]) == (None, None)  # never recorded
        assert marks["new"]["format"] == "short_video" and marks["new"]["duration_s"] == 42
        stats = await s.stats(since=NOW, until=NOW + 10)
        assert stats["by_provenance_format"] == {"followed": {"unknown": 1},
                                                 "personalized": {"short_video": 1}}
    finally:
        await s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT version FROM schema_components WHERE name = 'research'"
                        ).fetchone()[0] == len(research_schema.MIGRATIONS)
    assert conn.execute("SELECT format, relation, provenance FROM research_records").fetchall() == [
        (None, None, "followed")]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"items_format", "research_records_format"} <= indexes
    conn.close()
    assert {"format", "relation", "duration_s", "format_why", "relation_why"} <= columns(path, "items")
    assert {"format", "relation"} <= columns(path, "research_records")


# ---- through the service ---------------------------------------------------------------------

async def test_api_marks_and_items_answer_format_and_relation(client, auth, runtime):
    runtime.store.submit(record([demo_item(0, "s1", **SHORT), demo_item(1, "r1", "followed", **REPOST)],
                                at=time.time()))
    await runtime.store.flush()
    response = await client.get("/api/marks?platform=demo&ids=s1,r1", headers=auth)
    assert response.status == 200
    marks = (await response.json())["marks"]
    assert {k: marks["s1"][k] for k in SHORT} == SHORT
    assert {k: marks["r1"][k] for k in REPOST} == REPOST
    items = (await (await client.get("/api/items", headers=auth)).json())["items"]
    assert {i["item_id"]: i["format"] for i in items} == {"s1": "short_video", "r1": "image"}
    stats = await (await client.get("/api/stats", headers=auth)).json()
    assert stats["by_provenance_format"] == {"personalized": {"short_video": 1}, "followed": {"image": 1}}
