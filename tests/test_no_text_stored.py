"""No text where the user did not consent (issue 15, item 6): every item of every shipped
fixture goes through the engine into a real store with research off, and no title or text of
an item is anywhere in it (evidence keeps field paths and short scalars, never an ad object
with its title; a reason that is the item's own words and an id that is its text are not
stored as such)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine
from feedlens.jmes import summarize
from feedlens.model import Evidence
from feedlens.store import ResponseRecord, Store
from feedlens.store_rows import MIN_TEXT, TEXT_HIDDEN, hashed_id
from tests.service_support import demo_item, record

pytestmark = pytest.mark.filterwarnings("error")

CASES, _ = fixtures.discover(paths.platforms_dir())


def strings(value):
    """Every string in a stored value, JSON columns (and JSON inside their strings) opened."""
    if isinstance(value, str):
        yield value
        try:
            inner = json.loads(value)
        except ValueError:
            return
        if not isinstance(inner, str):
            yield from strings(inner)
    elif isinstance(value, dict):
        for part in value.values():
            yield from strings(part)
    elif isinstance(value, list):
        for part in value:
            yield from strings(part)


@pytest.fixture(scope="module")
def outcomes(shipped_adapters):
    engine = Engine(shipped_adapters)
    return [(case, fixtures.run(engine, case)[0]) for case in CASES]


async def test_no_fixture_title_or_text_reaches_the_store(tmp_path, outcomes):
    store = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await store.start()
    try:
        for case, outcome in outcomes:
            store.submit(ResponseRecord(time=1.0, platform=case.platform, endpoint="fixture",
                                        surface="fixture", url=f"fixture:{case.name}", status=200,
                                        changed=outcome.changed, error=None, items=outcome.items))
        await store.flush()
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "feedlens.sqlite3")
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM items ORDER BY id").fetchall()
    items = [(case, item) for case, outcome in outcomes for item in outcome.items]
    assert len(rows) == len(items) > 700
    found = []
    for (case, item), row in zip(items, rows):
        # the author column is stored by design; a channel's title is its author's name
        stored = {key: list(strings(row[key])) for key in row.keys() if not (
            key == "author" and row[key] == item.title)}
        for text in (item.title, item.text):
            if not text or len(text.strip()) < MIN_TEXT:
                continue
            probe = text.strip()[:24]
            where = sorted(key for key, values in stored.items() if any(probe in v for v in values))
            if where:
                found.append(f"{case.source.path}: item {item.position} {probe!r} in {where}")
    assert found == []
    assert all(row["title"] is None for row in rows)


def test_evidence_keeps_short_scalars_never_objects():
    ad = {"ads_id": "18492", "ad_tag": "赞助", "title": "冬季护手霜测评，干皮救星", "image": "https://x/y.jpg"}
    assert summarize(ad) == "{object: ads_id, ad_tag, title, image}"
    assert summarize([ad, ad]) == "[array of 2]"
    assert summarize("赞助") == "赞助" and summarize(True) is True and summarize(3) == 3
    assert summarize("x" * 100) == "x" * 39 + "…"


async def test_a_trend_stored_under_a_hash_is_still_marked_by_its_id(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await store.start()
    try:
        trend = demo_item(0, "#SnowDay", title="#SnowDay", reason="#SnowDay trending",
                          evidence=[Evidence("name", "#SnowDay"), Evidence("promoted", False)])
        plain = demo_item(1, "v123", title="A long video title")
        store.submit(record([trend, plain]))
        await store.flush()
        rows = await store.items(limit=10)
        by_position = {row["position"]: row for row in rows}
        assert by_position[0]["item_id"] == hashed_id("#SnowDay")
        assert by_position[0]["reason"] is None
        assert [e["value"] for e in by_position[0]["evidence"]] == [TEXT_HIDDEN, False]
        marks = await store.marks("demo", ["#SnowDay", "v123", "unseen"])
        assert set(marks) == {"#SnowDay", "v123"}
        assert marks["#SnowDay"]["item_id"] == "#SnowDay" and marks["v123"]["item_id"] == "v123"
    finally:
        await store.close()
