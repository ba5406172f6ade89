"""The rule pack of each mark (schema 6; research tables 3, export schema 3): written by
item_row, answered by marks, /api/marks and /api/items, recorded and exported for research, an
older (version 5) file upgraded in place with its rows kept; /api/health lists the packs."""

from __future__ import annotations

import csv
import sqlite3
import time

import pytest

from feedlens import store_schema
from feedlens.cli import main
from feedlens.research import schema as research_schema
from feedlens.research.dictionary import NAMES, SCHEMA_VERSION as EXPORT_SCHEMA
from feedlens.store import SCHEMA_VERSION, Store
from tests.research_support import Install, distinctive_item, response
from tests.service_support import (  # noqa: F401 (fixtures)
    auth, client, demo_item, record, rules_dir, runtime, token,
)
from tests.test_store import NOW, make_item, make_record

CORE = "feedlens-core 2026.12.06"
MINE = "my-fixes 3"


def version_5_file(path) -> None:
    """The item log as feedlens wrote it before packs: core schema 5, research tables 2."""
    conn = sqlite3.connect(path, isolation_level=None)
    store_schema.migrate(conn, store_schema.MIGRATIONS[:5])
    store_schema.migrate_component(conn, "research", research_schema.MIGRATIONS[:2])
    conn.execute("INSERT INTO responses (id, time, platform, endpoint, surface, url, status,"
                 " changed, item_count) VALUES (1, ?, 'demo', 'home', 'home', 'u', 200, 0, 1)", (NOW,))
    conn.execute("INSERT INTO items (response_id, time, platform, endpoint, surface, position,"
                 " item_id, kind, provenance, evidence, labels, decision, format) VALUES"
                 " (1, ?, 'demo', 'home', 'home', 0, 'old', 'video', 'followed', '[]', '[]', 'keep',"
                 " 'video')", (NOW,))
    conn.execute("INSERT INTO research_consents (id, study_id, consent_version, fields,"
                 " retention_days, participant, created) VALUES (1, 's', '1', '[]', 30, 'p', ?)", (NOW,))
    conn.execute("INSERT INTO research_records (consent_id, time, platform, provenance, format)"
                 " VALUES (1, ?, 'demo', 'followed', 'video')", (NOW,))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()


def columns(path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


async def test_an_item_row_keeps_its_pack(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    await store.start()
    try:
        store.submit(make_record([make_item(0, "a", pack=CORE), make_item(1, "b", pack=MINE),
                                  make_item(2, "c")]))
        await store.flush()
        marks = await store.marks("demo", ["a", "b", "c"])
        assert {k: m["pack"] for k, m in marks.items()} == {"a": CORE, "b": MINE, "c": None}
        assert {r["item_id"]: r["pack"] for r in await store.items()} == {"a": CORE, "b": MINE, "c": None}
    finally:
        await store.close()


async def test_a_version_5_file_upgrades_and_keeps_its_rows(tmp_path):
    path = tmp_path / "feedlens.sqlite3"
    version_5_file(path)
    assert "pack" not in columns(path, "items") and "pack" not in columns(path, "research_records")
    s = Store(path, flush_interval=0.01, prune_interval=0,
              components={"research": research_schema.MIGRATIONS})
    await s.start()
    try:
        s.submit(make_record([make_item(0, "new", pack=MINE)], at=NOW + 5))
        await s.flush()
        marks = await s.marks("demo", ["old", "new"])
        assert (marks["old"]["provenance"], marks["old"]["format"]) == ("followed", "video")  # kept
        assert marks["old"]["pack"] is None  # never recorded
        assert marks["new"]["pack"] == MINE
    finally:
        await s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    assert conn.execute("SELECT version FROM schema_components WHERE name = 'research'"
                        ).fetchone()[0] == len(research_schema.MIGRATIONS) == 4
    assert conn.execute("SELECT format, pack FROM research_records").fetchall() == [("video", None)]
    conn.close()


async def test_research_records_and_exports_carry_the_pack(tmp_path):
    install = await Install(tmp_path / "data").start()
    try:
        await install.research.enable("study-a", "1", [], 30)
        await install.feed(response([distinctive_item(0, pack=CORE), distinctive_item(1, pack=MINE),
                                     distinctive_item(2)]))
        out = tmp_path / "export.csv"
        assert main(["export", "--data-dir", str(install.data_dir), "--format", "csv",
                     "-o", str(out)]) == 0
    finally:
        await install.close()
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert "pack" in NAMES and list(rows[0]) == list(NAMES) and EXPORT_SCHEMA >= 3
    assert sorted(r["pack"] for r in rows) == ["", CORE, MINE]
    assert {r["schema_version"] for r in rows} == {str(EXPORT_SCHEMA)}


async def test_api_marks_and_items_answer_the_pack(client, auth, runtime):
    runtime.store.submit(record([demo_item(0, "p1", pack=CORE), demo_item(1, "p2", pack=MINE)],
                                at=time.time()))
    await runtime.store.flush()
    marks = (await (await client.get("/api/marks?platform=demo&ids=p1,p2", headers=auth)).json())["marks"]
    assert (marks["p1"]["pack"], marks["p2"]["pack"]) == (CORE, MINE)
    items = (await (await client.get("/api/items", headers=auth)).json())["items"]
    assert {i["item_id"]: i["pack"] for i in items} == {"p1": CORE, "p2": MINE}


@pytest.fixture
def fixes_pack(user_packs, rules_dir):
    """A user pack replacing the rules dir's first adapter's platform with a copy of it."""
    first = sorted((rules_dir / "platforms").glob("*.yaml"))[0]
    (user_packs / "fixes" / "platforms").mkdir(parents=True)
    (user_packs / "fixes" / "pack.yaml").write_text("name: my-fixes\nversion: '3'\n")
    (user_packs / "fixes" / "platforms" / first.name).write_text(first.read_text(encoding="utf-8"))
    return first


async def test_api_health_lists_the_packs_and_the_replacement(fixes_pack, client, auth, rules_dir):
    health = await (await client.get("/api/health", headers=auth)).json()
    names = [p["name"] for p in health["packs"]]
    assert names[0] == "rules" and names[-1] == "my-fixes"  # the rules dir has no header here
    mine = health["packs"][-1]
    assert mine["version"] == "3" and mine["replaces"] and mine["replaces"][0]["pack"] == "rules"
    assert len(health["pack_notices"]) == 1 and "my-fixes" in health["pack_notices"][0]
    assert str(fixes_pack) in health["pack_notices"][0]


async def test_the_dashboard_shows_the_replacement_notice(fixes_pack, client, auth):
    data = await (await client.get("/api/dashboard", headers=auth)).json()
    assert len(data["pack_notices"]) == 1
    assert {a["pack"] for a in data["adapters"] if f"{a['platform']}.yaml" == fixes_pack.name} == {"my-fixes"}
    for lang, heading in (("en", "Rule packs"), ("zh", "规则包")):
        text = await (await client.get(f"/?lang={lang}", headers=auth)).text()
        assert 'id="pack-notices"' in text and heading in text and "my-fixes" in text
