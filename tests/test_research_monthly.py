"""The monthly personal report against items submitted to a real Store."""

from __future__ import annotations

from datetime import datetime

import pytest

from feedlens.model import Item, Provenance
from feedlens.research import monthly
from feedlens.store import ResponseRecord, Store

pytestmark = pytest.mark.filterwarnings("error")


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()  # local time, like the report's months


# (local time, platform, provenance, author, items)
SUBMITTED = [
    ("2026-10-01T00:00", "demo", "personalized", "a1", 2),
    ("2026-10-15T12:00", "demo", "followed", "a2", 6),
    ("2026-10-31T23:59", "demo", "personalized", "a1", 2),   # last minute of October
    ("2026-11-01T00:00", "demo", "personalized", "a1", 5),   # first second of November
    ("2026-11-10T09:00", "demo", "followed", "a2", 3),
    ("2026-11-10T09:00", "demo", "promoted", "ad", 2),
    ("2026-11-20T18:00", "other", "personalized", "b7", 10),
    ("2026-12-01T00:00", "demo", "promoted", "ad", 9),       # December: not in November
]


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    for when, platform, provenance, author, n in SUBMITTED:
        items = [Item(platform=platform, endpoint="home", surface="home", position=i,
                      id=f"{when}-{provenance}-{i}", kind="video",
                      provenance=Provenance(provenance), author_id=author, author=author.upper())
                 for i in range(n)]
        s.submit(ResponseRecord(time=at(when), platform=platform, endpoint="home", surface="home",
                                url="https://example.test/", status=200, changed=False,
                                error=None, items=items))
    await s.flush()
    yield s
    await s.close()


async def test_november_composition_by_platform_and_provenance(store):
    report = await monthly.report(store, 2026, 11)
    assert report["month"] == "2026-11" and report["next_month"] == "2026-12"
    assert (report["since"], report["until"]) == (at("2026-11-01T00:00"), at("2026-12-01T00:00"))
    assert report["items"] == 20
    assert report["platforms"]["demo"]["counts"] == {"followed": 3, "personalized": 5, "promoted": 2}
    assert report["platforms"]["other"]["counts"] == {"personalized": 10}
    assert report["all"]["shares"] == pytest.approx({"followed": 3 / 20, "personalized": 15 / 20,
                                                     "promoted": 2 / 20})


async def test_share_changes_against_the_previous_month(store):
    report = await monthly.report(store, 2026, 11)
    assert report["previous"]["month"] == "2026-10" and report["previous"]["items"] == 10
    changes = {c["provenance"]: c for c in report["changes"]}
    # October: 4 of 10 personalised, 6 of 10 followed, no ads.
    assert changes["personalized"]["previous"] == pytest.approx(0.4)
    assert changes["personalized"]["change_pp"] == pytest.approx((0.75 - 0.4) * 100)
    assert changes["followed"]["change_pp"] == pytest.approx((0.15 - 0.6) * 100)
    assert changes["promoted"]["previous"] == 0.0
    assert changes["promoted"]["change_pp"] == pytest.approx(10.0)


async def test_top_sources_of_the_month(store):
    report = await monthly.report(store, 2026, 11)
    assert [(s["author_id"], s["author"], s["n"]) for s in report["top_sources"]] == [
        ("b7", "B7", 10), ("a1", "A1", 5), ("a2", "A2", 3), ("ad", "AD", 2)]


async def test_a_month_without_items_has_no_shares_to_compare(store):
    report = await monthly.report(store, 2026, 10)  # September is empty
    assert report["previous"]["items"] == 0
    assert all(c["previous"] is None and c["change_pp"] is None for c in report["changes"])
    january = await monthly.report(store, 2027, 1)
    assert january["items"] == 0 and january["previous"]["month"] == "2026-12"
    assert january["changes"][0]["share"] is None


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "2026-11-01", "", "2026-00"])
def test_bad_months_are_refused(text):
    with pytest.raises(ValueError):
        monthly.parse_month(text)


def test_month_arithmetic_wraps_the_year():
    assert monthly.previous(2026, 1) == (2025, 12)
    assert monthly.following(2026, 12) == (2027, 1)
    assert monthly.parse_month("2026-11") == (2026, 11)
