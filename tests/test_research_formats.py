"""Provenance × format in research mode and the charts: recorded with every item, in every export
format, counted by queries.formats over either table, served at /api/research/charts/formats and
in the monthly report, and drawn on /research and on the dashboard in both languages."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET

import duckdb
import pyarrow.parquet as pq
import pytest

from feedlens import i18n
from feedlens.cli import main
from feedlens.research import format_charts, queries
from tests.research_support import Install, distinctive_item, response
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, log_in, record, rules_dir, runtime, token,
)
from tests.test_research_export import read_csv, typed

SVG = "{http://www.w3.org/2000/svg}"
# (provenance, format, relation) of the items fed below, in order
MIX = ([("personalized", "short_video", "original")] * 3 + [("personalized", "video", "original")]
       + [("followed", "image", "repost")] * 2 + [("followed", "text", "reply")]
       + [("promoted", "short_video", "original")])
EXPECTED = {"personalized": {"short_video": 3, "video": 1}, "followed": {"image": 2, "text": 1},
            "promoted": {"short_video": 1}}


def mixed_items(make=None) -> list:
    """MIX as items of research_support (default) or of the service tests' demo adapter."""
    make = make or distinctive_item
    return [make(n, provenance, format=fmt, relation=rel) for n, (provenance, fmt, rel) in enumerate(MIX)]


def demo(n: int, provenance: str, **extra):
    return demo_item(n, f"i{n}", provenance, **extra)


# ---- research mode ---------------------------------------------------------------------------

@pytest.fixture
async def recorded(tmp_path):
    install = await Install(tmp_path / "data").start()
    await install.research.enable("study-f", "1", [], 30)
    await install.feed(response(mixed_items()))
    yield install
    await install.close()


async def test_every_export_format_has_format_and_relation(recorded, tmp_path, capsys):
    out = {fmt: tmp_path / f"export.{fmt}" for fmt in ("csv", "jsonl", "parquet")}
    for fmt, path in out.items():
        assert main(["export", "--data-dir", str(recorded.data_dir), "--format", fmt, "-o", str(path)]) == 0
    capsys.readouterr()
    exported = {
        "csv": [typed(r) for r in read_csv(out["csv"])],
        "jsonl": [json.loads(line) for line in out["jsonl"].read_text(encoding="utf-8").splitlines()],
        "parquet": pq.read_table(out["parquet"]).to_pylist()}
    for rows in exported.values():
        assert [(r["provenance"], r["format"], r["relation"]) for r in rows] == MIX
    preview = await recorded.research.preview(limit=100)
    assert sorted((r["format"], r["relation"]) for r in preview) == sorted((f, r) for _, f, r in MIX)


async def test_the_documented_duckdb_query_breaks_down_provenance_by_format(recorded, tmp_path, capsys):
    path = tmp_path / "alice.parquet"
    assert main(["export", "--data-dir", str(recorded.data_dir), "--format", "parquet", "-o", str(path)]) == 0
    capsys.readouterr()
    rows = duckdb.connect().execute(
        "SELECT provenance, format, COUNT(*) FROM read_parquet(?) WHERE schema_version >= 2"
        " GROUP BY ALL ORDER BY ALL", [str(path)]).fetchall()
    assert {(p, f): n for p, f, n in rows} == {
        (p, f): n for p, counts in EXPECTED.items() for f, n in counts.items()}


async def test_queries_count_formats_on_either_table_and_per_platform(recorded):
    store, now = recorded.store, time.time()
    await recorded.feed(response([distinctive_item(90, "search", platform="other", format="live")]))
    for source in ("items", "research"):
        rows = await queries.formats(store, now - 3600, now + 3600, source=source)
        assert format_charts.matrix_of(rows) == {**EXPECTED, "search": {"live": 1}}
        one = await queries.formats(store, now - 3600, now + 3600, source=source, platform="other")
        assert one == [{"platform": "other", "provenance": "search", "format": "live", "n": 1}]
    assert await queries.formats(store, now + 3600, now + 7200) == []  # outside the range


# ---- the chart -------------------------------------------------------------------------------

def test_the_matrix_svg_draws_a_dot_per_count_with_area_by_count():
    names = {"personalized": "Personalised <b>", "followed": "Following"}
    svg = format_charts.format_matrix(
        "f", {"personalized": {"short_video": 9, "video": 1}, "followed": {"image": 4}},
        names, {"short_video": "Short video", "video": "Video", "image": "Image"}, "T & t", "D")
    root = ET.fromstring(svg)  # well-formed: every text is escaped
    assert root.find(f"{SVG}title").text == "T & t" and root.find(f"{SVG}desc").text == "D"
    dots = {(c.get("data-provenance"), c.get("data-format")): c for c in root.iter(f"{SVG}circle")}
    assert set(dots) == {("personalized", "short_video"), ("personalized", "video"), ("followed", "image")}
    radius = {key: float(c.get("r")) for key, c in dots.items()}
    assert radius[("personalized", "short_video")] == pytest.approx(3 * radius[("personalized", "video")], abs=0.02)  # area ∝ count
    assert dots[("followed", "image")].get("class") == "dot c-followed"
    assert dots[("personalized", "video")].find(f"{SVG}title").text == "Personalised <b> · Video: 1"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    # columns in the vocabulary's order, rows in provenance order, each row's total at its end
    assert texts.index("Short video") < texts.index("Video") < texts.index("Image")
    assert texts.index("Following") < texts.index("Personalised <b>") and "10" in texts


def test_items_logged_before_formats_count_as_unknown():
    rows = [{"provenance": "followed", "format": None, "n": 2},
            {"provenance": None, "format": "video", "n": 1}]
    assert format_charts.matrix_of(rows) == {"followed": {"unknown": 2}, "unknown": {"video": 1}}


# ---- the service -----------------------------------------------------------------------------

async def fill(runtime, items):
    runtime.store.submit(record(items, at=time.time()))
    await runtime.store.flush()


async def test_chart_and_monthly_json_break_down_provenance_by_format(client, auth, runtime):
    await fill(runtime, mixed_items(demo))
    data = await (await client.get("/api/research/charts/formats?days=7", headers=auth)).json()
    assert data["matrix"] == EXPECTED
    assert {(r["platform"], r["provenance"], r["format"], r["n"]) for r in data["rows"]} == {
        ("demo", p, f, n) for p, counts in EXPECTED.items() for f, n in counts.items()}
    assert (await (await client.get("/api/research/charts/formats?days=7&platform=nope",
                                    headers=auth)).json())["matrix"] == {}
    month = await (await client.get("/api/research/monthly", headers=auth)).json()
    assert month["formats"] == EXPECTED


def chart(text: str, chart_id: str) -> ET.Element:
    found = re.search(rf'<svg viewBox="[^"]*" role="img" aria-labelledby="{chart_id}-t.*?</svg>', text, re.S)
    assert found, f"no chart {chart_id}"
    return ET.fromstring(found.group(0))


def dot_counts(svg: ET.Element) -> dict:
    return {(c.get("data-provenance"), c.get("data-format")): int(c.get("data-n"))
            for c in svg.iter(f"{SVG}circle")}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_dashboard_draws_todays_provenance_by_format(client, token, runtime, lang):
    await fill(runtime, mixed_items(demo))
    await log_in(client, token, lang)
    response = await client.get(f"/?lang={lang}")
    text = await response.text()
    assert response.status == 200 and 'style="' not in text and "<script" not in text
    svg = chart(text, "today-formats")
    assert dot_counts(svg) == {(p, f): n for p, counts in EXPECTED.items() for f, n in counts.items()}
    t = i18n.translator(lang)
    labels = [e.text for e in svg.iter(f"{SVG}text")]
    for fmt in ("short_video", "video", "image", "text"):
        assert t(f"common.format.{fmt}") in labels
    assert t("common.provenance.personalized") in labels
    assert svg.find(f"{SVG}title").text == t("dashboard.formats")
    assert t("common.format.short_video") in text.split("today-formats", 1)[1]  # the data table too


async def test_the_dashboard_has_no_format_chart_without_items(client, token):
    await log_in(client, token)
    assert "today-formats" not in await (await client.get("/")).text()


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_research_page_draws_provenance_by_format_for_the_period_and_month(
        client, token, runtime, lang):
    await fill(runtime, mixed_items(demo))
    await log_in(client, token, lang)
    text = await (await client.get(f"/research?lang={lang}")).text()
    expected = {(p, f): n for p, counts in EXPECTED.items() for f, n in counts.items()}
    assert dot_counts(chart(text, "formats")) == expected
    assert dot_counts(chart(text, "month-formats")) == expected
    assert i18n.t(lang, "research.formats") in text and 'href="/api/research/charts/formats?days=30"' in text
