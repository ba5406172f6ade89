"""`feedlens export`: CSV, JSON Lines and Parquet with the dictionary's columns and schema
version, a progress bar on stderr, and two participants' exports pooled with DuckDB."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from feedlens.cli import main
from feedlens.research.dictionary import COLUMNS, NAMES, SCHEMA_VERSION, markdown
from tests.research_support import NOW, Install, distinctive_item, response

DOCS = Path(__file__).resolve().parent.parent / "docs" / "research.md"


def export(data_dir: Path, *args: str) -> int:
    return main(["export", "--data-dir", str(data_dir), *args])


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def typed(row: dict) -> dict:
    """A CSV row with the dictionary's types (empty cells are NULL)."""
    kinds = {c.name: c.type for c in COLUMNS}
    convert = {"integer": int, "number": float, "string": str}
    return {k: (None if v == "" else convert[kinds[k]](v)) for k, v in row.items()}


@pytest.fixture
async def recorded(tmp_path):
    """A running install with five items recorded under a consent to titles only."""
    install = await Install(tmp_path / "data").start()
    await install.research.enable("study-a", "1.2", ["title"], 30)
    await install.feed(response([distinctive_item(n) for n in range(3)], at=NOW - 100),
                       response([distinctive_item(n, "followed") for n in range(3, 5)], at=NOW))
    yield install
    await install.close()


async def test_the_three_formats_hold_the_same_rows_with_the_schema_version(recorded, tmp_path, capsys):
    out = {fmt: tmp_path / f"export.{fmt}" for fmt in ("csv", "jsonl", "parquet")}
    for fmt, path in out.items():
        assert export(recorded.data_dir, "--format", fmt, "-o", str(path)) == 0
        err = capsys.readouterr().err
        assert "export [" in err and "100%" in err and "5/5 rows" in err
        assert f"exported 5 records to {path}" in err
    from_csv = [typed(r) for r in read_csv(out["csv"])]
    from_jsonl = [json.loads(line) for line in out["jsonl"].read_text(encoding="utf-8").splitlines()]
    table = pq.read_table(out["parquet"])
    from_parquet = table.to_pylist()
    assert from_csv == from_jsonl == from_parquet
    assert list(from_csv[0]) == list(NAMES) and table.column_names == list(NAMES)
    assert [r["schema_version"] for r in from_csv] == [SCHEMA_VERSION] * 5
    assert table.schema.metadata[b"feedlens.schema_version"] == str(SCHEMA_VERSION).encode()
    documented = json.loads(table.schema.metadata[b"feedlens.dictionary"])
    assert [c["name"] for c in documented] == list(NAMES)
    assert [r["title"] for r in from_csv] == [f"TITLEMARK{n:04d}Q 标题" for n in range(5)]
    assert {r["text"] for r in from_csv} == {None}  # not consented
    assert [r["provenance"] for r in from_csv] == ["personalized"] * 3 + ["followed"] * 2


async def test_csv_goes_to_stdout_without_an_output_file(recorded, capsys):
    assert export(recorded.data_dir, "--format", "csv") == 0
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert len(rows) == 5 and rows[0]["study_id"] == "study-a"
    assert "5/5 rows" in captured.err and "export [" not in captured.out


async def test_since_and_until_select_a_time_range(recorded, tmp_path, capsys):
    path = tmp_path / "late.jsonl"
    assert export(recorded.data_dir, "--format", "jsonl", "-o", str(path),
                  "--since", str(NOW - 50), "--until", str(NOW + 1)) == 0
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["position"] for r in rows] == [3, 4]
    assert "2/2 rows" in capsys.readouterr().err


async def test_parquet_without_pyarrow_says_how_to_get_it(recorded, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "x.parquet"
    assert export(recorded.data_dir, "--format", "parquet", "-o", str(path)) == 2
    err = capsys.readouterr().err
    assert "pip install 'feedlens[research]'" in err and "CSV and JSON Lines work" in err
    assert not path.exists()


async def test_parquet_needs_an_output_file(recorded, capsys):
    assert export(recorded.data_dir, "--format", "parquet") == 2
    assert "-o FILE" in capsys.readouterr().err


def test_export_without_an_item_log_is_a_clear_error(tmp_path, capsys):
    assert export(tmp_path / "nothing-here") == 2
    assert "no item log" in capsys.readouterr().err


async def test_an_empty_export_still_has_the_columns(tmp_path, capsys):
    install = await Install(tmp_path / "data").start()
    await install.close()
    path = tmp_path / "empty.parquet"
    assert export(install.data_dir, "--format", "parquet", "-o", str(path)) == 0
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.column_names == list(NAMES)
    assert "0/0 rows" in capsys.readouterr().err


def test_the_dictionary_is_printed_and_documented(capsys):
    assert main(["export", "--dictionary"]) == 0
    printed = capsys.readouterr().out
    assert all(f"| `{name}` |" in printed for name in NAMES)
    assert markdown() in DOCS.read_text(encoding="utf-8")  # docs/research.md stays in step


# ---- two participants pooled -----------------------------------------------------------------

async def participant(data_dir: Path, study: str, feed: dict[tuple[str, str], int]) -> Install:
    """An install that recorded `feed` = {(platform, provenance): count} under its own study."""
    install = await Install(data_dir).start()
    await install.research.enable(study, "1", [], 60)
    n = 0
    for (platform, provenance), how_many in feed.items():
        items = [distinctive_item(n + i, provenance, platform=platform) for i in range(how_many)]
        n += how_many
        await install.feed(response(items))
    await install.close()
    return install


async def test_two_installs_exports_are_queried_together_with_duckdb(tmp_path):
    alice = await participant(tmp_path / "alice", "study-a",
                              {("demo", "personalized"): 3, ("demo", "followed"): 2,
                               ("other", "promoted"): 1})
    bob = await participant(tmp_path / "bob", "study-b",
                            {("demo", "promoted"): 4, ("demo", "followed"): 1})
    files = {}
    for name, install in (("alice", alice), ("bob", bob)):
        for fmt in ("parquet", "csv"):
            files[name, fmt] = tmp_path / f"{name}.{fmt}"
            assert export(install.data_dir, "--format", fmt, "-o", str(files[name, fmt])) == 0
    ids = {name: install.research.consent.participant for name, install in (("alice", alice), ("bob", bob))}

    expected = sorted([
        ("study-a", ids["alice"], "followed", 2), ("study-a", ids["alice"], "personalized", 3),
        ("study-a", ids["alice"], "promoted", 1),
        ("study-b", ids["bob"], "followed", 1), ("study-b", ids["bob"], "promoted", 4)])
    db = duckdb.connect()
    pooled = db.execute(
        "SELECT study_id, participant, provenance, COUNT(*) FROM read_parquet(?)"
        " GROUP BY ALL ORDER BY ALL", [[str(files["alice", "parquet"]), str(files["bob", "parquet"])]]
    ).fetchall()
    assert pooled == expected
    mixed = db.execute(
        "SELECT study_id, participant, provenance, COUNT(*) FROM ("
        " SELECT * FROM read_parquet(?) UNION ALL BY NAME SELECT * FROM read_csv_auto(?))"
        " GROUP BY ALL ORDER BY ALL", [str(files["alice", "parquet"]), str(files["bob", "csv"])]
    ).fetchall()
    assert mixed == expected
    shares = dict(db.execute(
        "SELECT participant, round(avg((provenance = 'personalized')::INT), 4)"
        " FROM read_csv_auto(?) GROUP BY participant",
        [[str(files["alice", "csv"]), str(files["bob", "csv"])]]).fetchall())
    assert shares == {ids["alice"]: round(3 / 6, 4), ids["bob"]: 0.0}
    versions = db.execute("SELECT DISTINCT schema_version FROM read_parquet(?)",
                          [[str(files["alice", "parquet"]), str(files["bob", "parquet"])]]).fetchall()
    assert versions == [(SCHEMA_VERSION,)]


async def test_audit_condition_is_the_window_that_holds_each_item_and_needs_its_consent(tmp_path):
    from feedlens.research import audit
    from feedlens.research.export import as_dicts, rows
    from feedlens.store import open_readonly

    def exported(install) -> list[tuple]:
        conn = open_readonly(install.db_path)
        try:
            return [(r["platform"], r["time"], r["audit_condition"]) for r in as_dicts(rows(conn))]
        finally:
            conn.close()

    for fields, expected in ((["audit_condition"], [None, "on", "off", None, None]), ([], [None] * 5)):
        install = await Install(tmp_path / f"data{len(fields)}").start()
        try:
            await install.research.enable("study-a", "1", fields, 30)
            session = await audit.start(install.store, "demo", None, NOW - 300, condition="on")
            await audit.switch(install.store, session.id, "off", NOW - 150)
            await audit.finish(install.store, session.id, NOW - 50)
            await install.feed(*[response([distinctive_item(n)], at=at)
                                 for n, at in enumerate((NOW - 400, NOW - 200, NOW - 100, NOW - 10))],
                               response([distinctive_item(9, platform="other")], at=NOW - 200))
            got = exported(install)
        finally:
            await install.close()
        assert sorted(got, key=lambda r: (r[0], r[1])) == [
            ("demo", NOW - 400, expected[0]), ("demo", NOW - 200, expected[1]),
            ("demo", NOW - 100, expected[2]), ("demo", NOW - 10, expected[3]),
            ("other", NOW - 200, expected[4])]
