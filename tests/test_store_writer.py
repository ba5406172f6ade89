"""The item log's writer thread: nothing lost, order kept, calls in line with records."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from feedlens.model import Evidence
from feedlens.store import Store
from feedlens.store_rows import TEXT_HIDDEN, _json
from tests.test_store import make_item, make_record, rows


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    yield s
    await s.close()


def table(path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_many_concurrent_submitters_lose_nothing(store):
    async def task(name: str) -> None:
        for n in range(300):
            store.submit(make_record([make_item(i, f"{name}-{n}-{i}") for i in range(3)]))
            await asyncio.sleep(0)

    def thread(name: str) -> None:
        for n in range(300):
            store.submit(make_record([make_item(i, f"{name}-{n}-{i}") for i in range(3)]))

    threads = [threading.Thread(target=thread, args=(f"t{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task(f"a{k}") for k in range(6)))
    for t in threads:
        await asyncio.to_thread(t.join)
    await asyncio.sleep(0)  # the loop takes the other threads' handed-over records
    await store.flush()
    assert rows(store.path, "SELECT COUNT(*) FROM responses") == 8 * 300
    assert rows(store.path, "SELECT COUNT(DISTINCT item_id) FROM items") == 8 * 300 * 3
    assert store.counts == {"responses": 2400, "items": 7200, "dropped": 0, "write_errors": 0,
                            "pruned": 0}
    assert store.status()["queued"] == 0


async def test_a_responses_items_keep_their_order_and_responses_their_sequence(store):
    for n in range(400):  # several slices and batches
        store.submit(make_record([make_item(i, f"{n}-{i}") for i in range(5)]))
    await store.flush()
    responses = table(store.path, "SELECT id, item_count FROM responses ORDER BY id")
    assert [count for _, count in responses] == [5] * 400
    items = table(store.path, "SELECT response_id, position, item_id FROM items ORDER BY id")
    ids = [response_id for response_id, _ in responses]
    expected = [(ids[n], i, f"{n}-{i}") for n in range(400) for i in range(5)]
    assert items == expected


async def test_records_submitted_before_start_are_written(tmp_path):
    s = Store(tmp_path / "db.sqlite3", flush_interval=0.01, prune_interval=0)
    s.submit(make_record([make_item(0, "early")]))
    await s.start()
    await s.flush()
    assert [r["item_id"] for r in await s.items()] == ["early"]
    await s.close()


async def test_run_write_comes_after_the_records_submitted_before_it(store):
    for n in range(50):
        store.submit(make_record([make_item(0, str(n))]))
    seen = await store.run_write(lambda conn: conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    assert seen == 50


async def test_a_failing_hook_rolls_the_whole_batch_back_and_the_writer_goes_on(store):
    def hook(conn, written):
        if any(item.id == "bad" for record, _ in written for item in record.items):
            raise sqlite3.OperationalError("hook failed")
    store.batch_hooks.append(hook)
    store.submit(make_record([make_item(0, "bad")]))
    await store.flush()
    store.submit(make_record([make_item(0, "good")]))
    await store.flush()
    assert [r["item_id"] for r in await store.items()] == ["good"]
    assert rows(store.path, "SELECT COUNT(*) FROM responses") == 1  # no half batch
    assert store.counts["write_errors"] == 1 and "hook failed" in store.last_error


async def test_a_cancelled_flush_leaves_the_writer_working(store):
    store.submit(make_record([make_item(0, "a")]))
    waiting = asyncio.ensure_future(store.flush())
    await asyncio.sleep(0)
    waiting.cancel()
    store.submit(make_record([make_item(0, "b")]))
    await store.flush()
    assert rows(store.path) == 2


async def test_evidence_and_labels_read_back_as_json_wrote_them(store):
    big = 2 ** 70  # past 64 bits: written by json, not orjson
    item = make_item(0, "v", title="一段足够长的标题", labels=["ai-generated", "标签"],
                     evidence=[Evidence("a.b", "一段足够长的标题…"), Evidence("n", big),
                               Evidence("d", {"k": [1, 2.5, None, True]}, "endpoint")])
    store.submit(make_record([item]))
    await store.flush()
    [row] = await store.items()
    assert row["evidence"] == [{"source": "item", "path": "a.b", "value": TEXT_HIDDEN},
                               {"source": "item", "path": "n", "value": big},
                               {"source": "endpoint", "path": "d", "value": {"k": [1, 2.5, None, True]}}]
    assert row["labels"] == ["ai-generated", "标签"]


@pytest.mark.parametrize("value", [[], ["x", "中文"], [{"a": 1.5, "b": None}], [2 ** 64], [{1: "int key"}],
                                   [float("1e16")], [{1, 2}]])
def test_json_columns_mean_what_json_dumps_meant(value):
    assert json.loads(_json(value)) == json.loads(json.dumps(value, ensure_ascii=False, default=str))
