"""Composition, shares and top sources (feedlens/research/queries.py) on a real Store, with
counts known by construction; local-time buckets, including a daylight-saving day."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from feedlens.model import Item, Provenance
from feedlens.research import queries
from tests.research_support import Install, response


@pytest.fixture
def berlin(monkeypatch):
    """Local time = Europe/Berlin (clocks go back on 2026-10-25 at 03:00 CEST)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def at(text: str) -> float:
    """Unix seconds of a local Berlin time, e.g. '2026-11-02T10:05'."""
    return datetime.fromisoformat(text).timestamp()


def item(provenance: str, platform: str | None = "demo", author: str = "a1", **extra) -> Item:
    return Item(platform=platform, endpoint="home", surface="home", position=0, id="v1",
                kind="video", provenance=Provenance(provenance), author_id=author,
                author=f"name-{author}", title="t", **extra)


@pytest.fixture
async def install(tmp_path, berlin):
    install = await Install(tmp_path / "data").start()
    yield install
    await install.close()


async def feed(install, moment: str, *items: Item) -> None:
    await install.feed(response(list(items), at=at(moment)))


async def test_composition_counts_per_local_day_platform_and_provenance(install):
    await feed(install, "2026-11-02T00:00", item("personalized"), item("personalized"), item("followed"))
    await feed(install, "2026-11-02T23:59", item("promoted", platform="other"))
    await feed(install, "2026-11-04T08:00", item("personalized"), item("unknown", platform=None))
    rows = await queries.composition(install.store, at("2026-11-01T00:00"), at("2026-11-05T00:00"))
    assert rows == [
        {"bucket": "2026-11-02", "platform": "demo", "provenance": "followed", "n": 1},
        {"bucket": "2026-11-02", "platform": "demo", "provenance": "personalized", "n": 2},
        {"bucket": "2026-11-02", "platform": "other", "provenance": "promoted", "n": 1},
        {"bucket": "2026-11-04", "platform": None, "provenance": "unknown", "n": 1},
        {"bucket": "2026-11-04", "platform": "demo", "provenance": "personalized", "n": 1},
    ]


async def test_composition_by_hour(install):
    await feed(install, "2026-11-02T10:00", item("followed"))
    await feed(install, "2026-11-02T10:59", item("followed"), item("popular"))
    await feed(install, "2026-11-02T11:00", item("followed"))
    rows = await queries.composition(install.store, at("2026-11-02T00:00"), at("2026-11-03T00:00"),
                                     bucket="hour")
    assert [(r["bucket"], r["provenance"], r["n"]) for r in rows] == [
        ("2026-11-02T10:00", "followed", 2), ("2026-11-02T10:00", "popular", 1),
        ("2026-11-02T11:00", "followed", 1)]


async def test_a_25_hour_day_keeps_its_last_hour(install):
    # 2026-10-25 in Berlin lasts 25 hours; 23:30 that evening still belongs to the 25th.
    await feed(install, "2026-10-25T23:30", item("followed"))
    await feed(install, "2026-10-26T00:10", item("followed"))
    rows = await queries.composition(install.store, at("2026-10-20T00:00"), at("2026-10-30T00:00"))
    assert [(r["bucket"], r["n"]) for r in rows] == [("2026-10-25", 1), ("2026-10-26", 1)]


async def test_the_range_is_half_open(install):
    since, until = at("2026-11-02T12:00"), at("2026-11-02T13:00")
    for moment in (since - 1, since, until - 1, until):
        await install.feed(response([item("followed")], at=moment))
    rows = await queries.composition(install.store, since, until, bucket="hour")
    assert sum(r["n"] for r in rows) == 2
    assert await queries.composition(install.store, until + 10, until + 20) == []


async def test_research_source_counts_only_research_records(install):
    await feed(install, "2026-11-02T09:00", item("followed"), item("followed"))
    await install.research.enable("study", "1", [], 30)
    await feed(install, "2026-11-02T10:00", item("personalized"))
    span = (at("2026-11-02T00:00"), at("2026-11-03T00:00"))
    items = await queries.composition(install.store, *span, source="items")
    research = await queries.composition(install.store, *span, source="research")
    assert sum(r["n"] for r in items) == 3
    assert research == [{"bucket": "2026-11-02", "platform": "demo", "provenance": "personalized", "n": 1}]


async def test_shares_of_each_provenance(install):
    await feed(install, "2026-11-02T09:00", *[item("personalized")] * 6, *[item("followed")] * 3,
               item("promoted", platform="other"))
    span = (at("2026-11-02T00:00"), at("2026-11-03T00:00"))
    assert await queries.shares(install.store, *span) == [
        {"provenance": "personalized", "n": 6, "share": 0.6},
        {"provenance": "followed", "n": 3, "share": 0.3},
        {"provenance": "promoted", "n": 1, "share": 0.1}]
    assert await queries.shares(install.store, *span, platform="other") == [
        {"provenance": "promoted", "n": 1, "share": 1.0}]
    assert await queries.shares(install.store, *span, source="research") == []


async def test_top_sources_with_their_provenance_mix(install):
    await feed(install, "2026-11-02T09:00", *[item("personalized", author="big")] * 3,
               item("followed", author="big"), item("followed", author="small"),
               item("promoted", author="mid"), item("promoted", author="mid"))
    span = (at("2026-11-02T00:00"), at("2026-11-03T00:00"))
    assert await queries.top_sources(install.store, *span, limit=2) == [
        {"platform": "demo", "author_id": "big", "author": "name-big", "n": 4,
         "by_provenance": {"followed": 1, "personalized": 3}},
        {"platform": "demo", "author_id": "mid", "author": "name-mid", "n": 2,
         "by_provenance": {"promoted": 2}}]


async def test_top_sources_of_research_records_are_pseudonymous(install):
    await install.research.enable("study", "1", [], 30)
    await feed(install, "2026-11-02T09:00", item("followed", author="big"), item("followed", author="big"))
    span = (at("2026-11-02T00:00"), at("2026-11-03T00:00"))
    [top] = await queries.top_sources(install.store, *span, source="research")
    assert top["n"] == 2 and top["author"] is None  # the name was not consented
    assert len(top["author_id"]) == 16 and top["author_id"] != "big"


async def test_bad_arguments_are_refused(install):
    with pytest.raises(ValueError, match="bucket"):
        await queries.composition(install.store, 0, 1, bucket="week")
    with pytest.raises(ValueError, match="source"):
        await queries.shares(install.store, 0, 1, source="responses")
    with pytest.raises(ValueError, match="buckets"):
        queries.bucket_bounds(0, 4e9, "hour")  # a data span beyond MAX_BUCKETS


async def test_a_very_long_range_only_spans_the_data(install):
    await feed(install, "2026-11-02T09:00", item("followed"))
    await feed(install, "2026-11-02T11:00", item("followed"))
    rows = await queries.composition(install.store, 0, 4e9, bucket="hour")
    assert [(r["bucket"], r["n"]) for r in rows] == [("2026-11-02T09:00", 1), ("2026-11-02T11:00", 1)]
