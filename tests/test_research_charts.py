"""Charts of the item log: data from a real Store, and the SVG drawn from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from feedlens.model import Item, Provenance
from feedlens.research import charts
from feedlens.store import ResponseRecord, Store

pytestmark = pytest.mark.filterwarnings("error")

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 11, 20, 12, 0).timestamp()  # local noon
NAMES = {"followed": "followed", "personalized": "recommended", "promoted": "ads"}

# (local day, platform, provenance) -> items
COUNTS = {
    ("2026-11-18", "demo", "followed"): 3, ("2026-11-18", "demo", "personalized"): 9,
    ("2026-11-19", "demo", "personalized"): 4, ("2026-11-19", "demo", "promoted"): 2,
    ("2026-11-19", "other", "followed"): 6,
    ("2026-11-20", "demo", "followed"): 1, ("2026-11-20", "demo", "personalized"): 1,
    ("2026-11-20", "demo", "promoted"): 2,
}
AUTHORS = {"followed": ("f1", "Fiona"), "personalized": ("p1", "Paul"), "promoted": ("ad", None)}


@pytest.fixture
async def store(tmp_path):
    s = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await s.start()
    for (day, platform, provenance), n in COUNTS.items():
        at = datetime.fromisoformat(f"{day}T10:00").timestamp()
        author_id, author = AUTHORS[provenance]
        items = [Item(platform=platform, endpoint="home", surface="home", position=i,
                      id=f"{day}-{platform}-{provenance}-{i}", kind="video",
                      provenance=Provenance(provenance), author_id=author_id, author=author)
                 for i in range(n)]
        s.submit(ResponseRecord(time=at, platform=platform, endpoint="home", surface="home",
                                url="https://example.test/", status=200, changed=False,
                                error=None, items=items))
    # Outside the 3-day window: must not show.
    s.submit(ResponseRecord(time=datetime(2026, 11, 17, 23, 59).timestamp(), platform="demo",
                            endpoint="home", surface="home", url="https://example.test/",
                            status=200, changed=False, error=None,
                            items=[Item(platform="demo", endpoint="home", surface="home",
                                        position=0, id="old", kind="video",
                                        provenance=Provenance.PROMOTED)]))
    await s.flush()
    yield s
    await s.close()


async def test_composition_counts_per_local_day_platform_and_provenance(store):
    data = await charts.composition(store, 3, NOW)
    assert data["days"] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert {(r["day"], r["platform"], r["provenance"]): r["n"] for r in data["rows"]} == COUNTS
    only_other = await charts.composition(store, 3, NOW, platform="other")
    assert [(r["day"], r["n"]) for r in only_other["rows"]] == [("2026-11-19", 6)]


def rects(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter(f"{SVG}rect") if "seg" in e.get("class", "")]


async def test_stacked_bars_have_one_segment_per_day_and_provenance_in_proportion(store):
    data = await charts.composition(store, 3, NOW, platform="demo")
    counts: dict[str, dict[str, int]] = {}
    for row in data["rows"]:
        counts.setdefault(row["day"], {})[row["provenance"]] = row["n"]
    svg = charts.stacked_days("c", data["days"], counts, NAMES, "Composition", "by day")
    segments = rects(svg)
    expected = {(d, v): n for (d, p, v), n in COUNTS.items() if p == "demo"}
    assert sorted((s.get("data-day"), s.get("data-provenance")) for s in segments) == sorted(expected)
    # Heights share one scale: each is proportional to its count (the busiest day is 12 items).
    heights = {(s.get("data-day"), s.get("data-provenance")): float(s.get("height")) for s in segments}
    unit = heights[("2026-11-18", "personalized")] / 9
    for key, n in expected.items():
        assert heights[key] == pytest.approx(n * unit, abs=0.01)
    # Within a day, segments stack without gaps, followed at the bottom.
    day = [s for s in segments if s.get("data-day") == "2026-11-19"]
    assert [s.get("data-provenance") for s in day] == ["personalized", "promoted"]
    assert float(day[1].get("y")) + float(day[1].get("height")) == pytest.approx(float(day[0].get("y")), abs=0.01)
    assert all("c-" + s.get("data-provenance") in s.get("class") for s in segments)


def test_svg_is_accessible_and_self_contained():
    svg = charts.stacked_days("c", ["2026-11-20"], {"2026-11-20": {"followed": 2}}, NAMES,
                              "Feed & more", "desc <x>")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c-t c-d"
    assert root.find(f"{SVG}title").text == "Feed & more"
    assert root.find(f"{SVG}desc").text == "desc <x>"
    assert "<script" not in svg and "style=" not in svg and "fill=" not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


async def test_shares_per_platform_and_overall(store):
    data = await charts.shares(store, 3, NOW)
    demo = data["platforms"]["demo"]
    assert demo["items"] == 22
    assert demo["counts"] == {"followed": 4, "personalized": 14, "promoted": 4}
    assert demo["shares"]["personalized"] == pytest.approx(14 / 22)
    assert data["all"]["counts"] == {"followed": 10, "personalized": 14, "promoted": 4}
    svg = charts.share_bars("s", [("demo", demo)], NAMES, "Shares", "desc")
    widths = {s.get("data-provenance"): float(s.get("width")) for s in rects(svg)}
    total = sum(widths.values())
    assert widths["personalized"] / total == pytest.approx(14 / 22, abs=1e-4)
    assert widths["followed"] / total == pytest.approx(4 / 22, abs=1e-4)


async def test_top_sources_come_from_the_items_table(store):
    data = await charts.sources(store, 3, NOW, limit=2)
    assert [(s["platform"], s["author_id"], s["author"], s["n"]) for s in data["sources"]] == [
        ("demo", "p1", "Paul", 14), ("other", "f1", "Fiona", 6)]
    svg = charts.source_bars("t", data["sources"], "Top", "desc")
    bars = [e for e in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert float(bars[1].get("width")) / float(bars[0].get("width")) == pytest.approx(6 / 14, abs=1e-4)
    assert "Paul (demo)" in svg


def test_interval_bars_draw_the_share_and_its_whisker():
    svg = charts.interval_bars("a", [("on", 0.6, [0.5, 0.7]), ("off", 0.15, [0.1, 0.2]),
                                     ("none", None, None)], "Share", "desc")
    root = ET.fromstring(svg)
    bars = [e for e in root.iter(f"{SVG}rect")]
    assert [float(b.get("data-share")) for b in bars] == [0.6, 0.15]
    assert float(bars[1].get("width")) / float(bars[0].get("width")) == pytest.approx(0.25, abs=1e-4)
    whiskers = [e for e in root.iter(f"{SVG}path") if "whisker" in e.get("class")]
    assert len(whiskers) == 2
    scale = float(bars[0].get("width")) / 0.6  # pixels per unit share
    start = float(whiskers[0].get("d")[1:].split()[0])
    assert start == pytest.approx(float(bars[0].get("x")) + 0.5 * scale, abs=0.01)
