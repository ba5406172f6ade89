"""The choice watchdog's observations and reverts as research records (research_choice_events),
through a real Store with Research and the real Watchdog attached, as the runtime wires them:
consent gating, the device as a pseudonym, evidence without secrets, deletion, retention,
export, and a failing listener that never costs the watchdog its rows."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time

import pyarrow.parquet as pq
import pytest

from feedlens import hooks
from feedlens.choice import Observation
from feedlens.choices.watchdog import Watchdog
from feedlens.research import choice_events
from feedlens.research.export import export
from feedlens.research.pseudonym import Pseudonyms, load_key
from tests.research_support import Install, where_found

pytestmark = pytest.mark.filterwarnings("error")

OFF, ON = "not_personalised", "personalised"
DEVICE = "192.168.77.23"
T = 1_900_000_000.0


def seen(state, kind="flag", platform="bilibili", rule="web-flag", **evidence):
    sure = "suspected" if kind == "marker" else "confirmed"
    where = {"method": "GET", "host": "api.bilibili.com", "path": "/x/feed", "rule": rule,
             "from": "request", "read": "query.disable_rcmd", "value": "1" if state == OFF else "0"}
    return Observation(platform, "personalised_recommendation", rule, kind, sure, state,
                       {**where, **evidence})


@pytest.fixture
async def install(tmp_path):
    install = await Install(tmp_path / "data").start()
    yield install
    await install.close()


def rows(db, sql: str, params: tuple = ()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def events(db) -> list[dict]:
    return rows(db, "SELECT * FROM research_choice_events ORDER BY id")


def observations(db) -> int:
    return rows(db, "SELECT COUNT(*) AS n FROM choice_observations")[0]["n"]


async def test_nothing_is_recorded_without_consent_nor_while_paused(install):
    watchdog = Watchdog(install.store)
    await watchdog.observe(seen(OFF), DEVICE, T)  # research off
    consent = await install.research.enable("study-a", "1", [], 30)
    await watchdog.observe(seen(OFF), DEVICE, T + 1)
    await install.research.pause(True)
    await watchdog.observe(seen(ON), DEVICE, T + 2)
    await install.research.pause(False)
    await watchdog.observe(seen(ON), DEVICE, T + 3)  # the second in a row: a revert
    await install.research.disable()
    await watchdog.observe(seen(ON), DEVICE, T + 4)

    assert observations(install.db_path) == 5  # the watchdog keeps its own rows in every state
    found = events(install.db_path)
    assert [(e["time"], e["event"], e["state"], e["reason"]) for e in found] == [
        (T + 1, "observation", OFF, None), (T + 3, "observation", ON, None),
        (T + 3, "revert", ON, "two_in_a_row")]
    assert {e["consent_id"] for e in found} == {consent.id}
    assert found[2]["sure"] == "confirmed" and found[2]["kind"] == "flag"
    state = await install.research.state()
    assert state["choice_events"] == 3


async def test_the_device_is_a_pseudonym_and_evidence_keeps_no_secret(install):
    await install.research.enable("study-a", "1", [], 30)
    watchdog = Watchdog(install.store)
    await watchdog.observe(seen(OFF, path="/x/feed?access_key=QUERYSECRET", cookie="SESSDATA=COOKIESECRET",
                                authorization="Bearer TOKENSECRET"), DEVICE, T)
    [event] = events(install.db_path)
    key = load_key(install.data_dir, "study-a")
    assert event["device_pid"] == Pseudonyms(key).device(DEVICE) and len(event["device_pid"]) == 16
    assert json.loads(event["evidence"]) == {
        "method": "GET", "host": "api.bilibili.com", "path": "/x/feed", "rule": "web-flag",
        "from": "request", "read": "query.disable_rcmd", "value": "1"}
    for secret in ("QUERYSECRET", "COOKIESECRET", "TOKENSECRET", DEVICE):
        assert not {t for t, _ in where_found(install.db_path, secret)} & {
            "research_choice_events", "research_records"}, secret


async def test_a_childs_device_is_never_recorded(install):
    await install.research.enable("study-a", "1", [], 30)
    install.research.include_device = lambda device: device != "10.0.0.9"
    watchdog = Watchdog(install.store)
    await watchdog.observe(seen(OFF), "10.0.0.9", T)
    await watchdog.observe(seen(OFF), DEVICE, T + 1)
    assert [e["time"] for e in events(install.db_path)] == [T + 1]


async def test_deletion_and_retention_cover_the_events(install):
    await install.research.enable("study-a", "1", [], 30)
    watchdog = Watchdog(install.store)
    for n in range(4):
        await watchdog.observe(seen(OFF), DEVICE, T + n)
    assert await install.research.delete(T + 1, T + 3) == 2
    assert [e["time"] for e in events(install.db_path)] == [T, T + 3]
    await install.research.disable()  # withdrawal stops recording; the rows stay until deleted
    assert len(events(install.db_path)) == 2
    assert await install.research.prune(now=T + 30 * 86400 + 0.5) == 1  # T is past 30 days
    assert [e["time"] for e in events(install.db_path)] == [T + 3]
    assert await install.research.delete() == 1
    assert events(install.db_path) == [] and observations(install.db_path) == 4


async def test_every_export_format_holds_the_events(install, tmp_path):
    await install.research.enable("study-a", "1", [], 30)
    watchdog = Watchdog(install.store)
    now = time.time()  # exports leave out rows past retention
    for n, state in enumerate((OFF, ON, ON)):
        await watchdog.observe(seen(state), DEVICE, now - 10 + n)
    stdout = io.StringIO()
    assert export(install.db_path, "csv", None, table="choice_events", stdout=stdout,
                  progress_stream=io.StringIO()) == 4
    table = list(csv.DictReader(io.StringIO(stdout.getvalue())))
    assert [(r["event"], r["state"], r["reason"]) for r in table] == [
        ("observation", OFF, ""), ("observation", ON, ""), ("observation", ON, ""),
        ("revert", ON, "two_in_a_row")]
    assert {r["study_id"] for r in table} == {"study-a"} and DEVICE not in stdout.getvalue()
    jsonl = tmp_path / "events.jsonl"
    export(install.db_path, "jsonl", jsonl, table="choice_events", progress_stream=io.StringIO())
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [line["event_id"] for line in lines] == [int(r["event_id"]) for r in table]
    assert len(json.loads(lines[3]["evidence"])) == 2  # the two observations behind the revert
    parquet = tmp_path / "events.parquet"
    export(install.db_path, "parquet", parquet, table="choice_events", progress_stream=io.StringIO())
    read = pq.read_table(parquet)
    assert read.column("device_pid").to_pylist() == [r["device_pid"] for r in table]
    assert read.schema.metadata[b"feedlens.table"] == b"choice_events"
    # the records table is a file of its own, unchanged
    records = io.StringIO()
    assert export(install.db_path, "csv", None, stdout=records, progress_stream=io.StringIO()) == 0


async def test_a_failing_listener_never_costs_the_watchdog_or_other_listeners(install, monkeypatch):
    await install.research.enable("study-a", "1", [], 30)

    def failing(store, conn, event):
        conn.execute("INSERT INTO choice_reverts (time, platform, choice, device, epoch, sure,"
                     " reason, evidence) VALUES (0, 'x', 'c', 'd', 0, 'confirmed', 'bogus', '[]')")
        raise RuntimeError("listener bug")
    listeners = {"failing": failing, **hooks.choice_listeners()}
    monkeypatch.setattr(hooks, "_choice_listeners", listeners)
    watchdog = Watchdog(install.store)
    for n, state in enumerate((OFF, ON, ON)):
        await watchdog.observe(seen(state), DEVICE, T + n)
    assert observations(install.db_path) == 3
    assert [r["reason"] for r in rows(install.db_path, "SELECT reason FROM choice_reverts")] == [
        "two_in_a_row"]  # the failing listener's insert was rolled back, the revert kept
    assert len(events(install.db_path)) == 4  # research's listener ran on


async def test_a_failing_research_insert_keeps_the_watchdog_rows(install):
    await install.research.enable("study-a", "1", [], 30)
    conn = sqlite3.connect(install.db_path)
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON research_choice_events"
                 " BEGIN SELECT RAISE(ABORT, 'refused'); END")
    conn.commit()
    conn.close()
    await Watchdog(install.store).observe(seen(OFF), DEVICE, T)
    assert observations(install.db_path) == 1 and events(install.db_path) == []


def test_evidence_keeps_only_what_read_the_switch():
    assert choice_events.evidence([{"time": 1.0, "path": "/p?x=1", "cookie": "c", "value": "v" * 500},
                                   "junk"]) == [{"time": 1.0, "path": "/p", "value": "v" * 119 + "…"}]
    assert choice_events.evidence({"overlap": 0.2, "baseline": 0.6, "own_items": 20,
                                   "headers": {"cookie": "c"}}) == {
        "overlap": 0.2, "baseline": 0.6, "own_items": 20}
