"""Research mode on a real Store and SQLite file: nothing without consent, only consented
fields with it, pseudonymous ids, pause, withdrawal, deletion and retention."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat

import pytest

from feedlens.research import consent as consents
from feedlens.research.pseudonym import key_path
from tests.research_support import (
    NOW, Install, count, distinctive_item, on_disk, response, where_found,
)

RESEARCH_TABLES = ("research_consents", "research_state", "research_records")
DAY = 86400.0


@pytest.fixture
async def install(tmp_path):
    install = await Install(tmp_path / "data").start()
    yield install
    await install.close()


def records(db_path, columns: str = "*") -> list[sqlite3.Row]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT {columns} FROM research_records ORDER BY id").fetchall()
    finally:
        conn.close()


def keyed(data_dir, study: str, kind: str, platform: str, value: str) -> str:
    key = bytes.fromhex(key_path(data_dir, study).read_text().strip())
    return hmac.new(key, f"{kind}\x1f{platform}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:16]


# ---- the acceptance: what reaches the disk -------------------------------------------------

async def test_with_research_off_no_item_text_is_stored_anywhere(tmp_path):
    install = await Install(tmp_path / "data").start()
    await install.feed(response([distinctive_item(n) for n in range(3)]),
                       response([distinctive_item(n) for n in range(3, 6)]))
    assert not install.research.enabled
    await install.close()

    db = install.db_path
    assert count(db, "items") == 6  # the item log itself works
    for n in range(6):
        for marker in (f"TITLEMARK{n:04d}Q", f"TEXTMARK{n:04d}Q", f"URLMARK{n:04d}Q", "标题", "正文"):
            assert where_found(db, marker) == set(), marker
            assert on_disk(install.data_dir, marker) == [], marker
    # What the item log keeps for marks and author rules: ids, display names, the platform's reason.
    assert where_found(db, "ITEMID0004Q") == {("items", "item_id")}
    assert where_found(db, "AUTHORNAME1Q") == {("items", "author")}
    assert where_found(db, "REASONMARK0002Q") == {("items", "reason")}
    for table in RESEARCH_TABLES:
        assert count(db, table) == 0, table
    assert not (install.data_dir / "research").exists()  # no study key either


# field consented -> (marker of item n, the research column holding it, the items column if any)
CONSENTABLE = {
    "title": ("TITLEMARK{:04d}Q", "title", None),
    "text": ("TEXTMARK{:04d}Q", "text", None),
    "author_name": ("AUTHORNAME{}Q", "author_name", "author"),
    "url": ("URLMARK{:04d}Q", "url", None),
    "reason_text": ("REASONMARK{:04d}Q", "reason_text", "reason"),
}


def marker(field: str, n: int) -> str:
    template = CONSENTABLE[field][0]
    return template.format(n % 3 if field == "author_name" else n)


@pytest.mark.parametrize("consented", [["title"], ["text", "url"], ["author_name", "reason_text"],
                                       []])
async def test_with_research_on_only_consented_fields_are_stored(tmp_path, consented):
    install = await Install(tmp_path / "data").start()
    consent = await install.research.enable("study-a", "2.1", consented, 30)
    await install.feed(response([distinctive_item(n) for n in range(4)]))
    await install.close()
    db = install.db_path

    assert count(db, "research_records") == 4
    for field, (_, column, items_column) in CONSENTABLE.items():
        logged = {("items", items_column)} if items_column else set()
        for n in range(4):
            expected = logged | ({("research_records", column)} if field in consented else set())
            assert where_found(db, marker(field, n)) == expected, (field, n)
            if not expected:
                assert on_disk(install.data_dir, marker(field, n)) == [], (field, n)
    # Ids only as pseudonyms: the raw item and author ids appear in the item log alone.
    assert where_found(db, "ITEMID0003Q") == {("items", "item_id")}
    assert where_found(db, "AUTHORID1Q") == {("items", "author_id")}
    rows = records(db)
    assert {row["consent_id"] for row in rows} == {consent.id}
    assert [row["item_pid"] for row in rows] == [
        keyed(install.data_dir, "study-a", "item", "demo", f"ITEMID{n:04d}Q") for n in range(4)]
    assert rows[1]["author_pid"] == keyed(install.data_dir, "study-a", "author", "demo", "AUTHORID1Q")
    assert [(r["provenance"], r["position"], r["reason_category"], r["decision"], r["time"])
            for r in rows][:1] == [("personalized", 0, "home#2", "keep", NOW)]


async def test_the_consent_record_is_stored_and_every_record_references_it(install):
    consent = await install.research.enable("study-a", "2.1", ["url", "title"], 14)
    await install.feed(response([distinctive_item(0)]))
    conn = sqlite3.connect(install.db_path)
    row = conn.execute("SELECT study_id, consent_version, fields, retention_days, created, withdrawn"
                       " FROM research_consents WHERE id = ?", (consent.id,)).fetchone()
    conn.close()
    assert row[:4] == ("study-a", "2.1", json.dumps(["title", "url"]), 14)
    assert row[4] > 0 and row[5] is None
    assert [r["consent_id"] for r in records(install.db_path)] == [consent.id]
    state = await install.research.state()
    assert state["enabled"] and state["recording"] and state["records"] == 1
    assert state["consent"]["fields"] == ["title", "url"]


@pytest.mark.parametrize("values,message", [
    (("../x", "1", [], 30), "study_id"),
    (("s", "", [], 30), "consent_version"),
    (("s", "1", ["title", "phone"], 30), "unknown phone"),
    (("s", "1", "title", 30), "fields"),
    (("s", "1", [], 0), "retention_days"),
    (("s", "1", [], True), "retention_days"),
])
async def test_a_bad_consent_is_refused_and_research_stays_off(install, values, message):
    with pytest.raises(consents.ConsentError, match=message):
        await install.research.enable(*values)
    assert not install.research.enabled
    assert count(install.db_path, "research_consents") == 0


# ---- pseudonyms ------------------------------------------------------------------------------

async def test_pseudonyms_are_stable_within_a_study_even_after_a_restart(tmp_path):
    first = await Install(tmp_path / "data").start()
    await first.research.enable("study-a", "1", [], 30)
    await first.feed(response([distinctive_item(7)]), response([distinctive_item(7)], at=NOW + 5))
    await first.close()
    again = await Install(tmp_path / "data").start()  # the state and the key come back from disk
    assert again.research.enabled and again.research.consent.study_id == "study-a"
    await again.feed(response([distinctive_item(7)], at=NOW + 10))
    await again.close()
    pids = [r["item_pid"] for r in records(again.db_path)]
    assert len(pids) == 3 and len(set(pids)) == 1


async def test_pseudonyms_differ_across_studies(install):
    first = await install.research.enable("study-a", "1", [], 30)
    await install.feed(response([distinctive_item(1)]))
    second = await install.research.enable("study-b", "1", [], 30)
    await install.feed(response([distinctive_item(1)]))
    a, b = records(install.db_path)
    assert (a["consent_id"], b["consent_id"]) == (first.id, second.id)
    assert a["item_pid"] != b["item_pid"] and a["author_pid"] != b["author_pid"]
    keys = [key_path(install.data_dir, study).read_text() for study in ("study-a", "study-b")]
    assert keys[0] != keys[1]


async def test_pseudonyms_cannot_be_reversed_without_the_secret(install):
    await install.research.enable("study-a", "1", [], 30)
    await install.feed(response([distinctive_item(n) for n in range(20)]))
    path = key_path(install.data_dir, "study-a")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    candidates = [f"ITEMID{n:04d}Q" for n in range(20)]
    pids = [r["item_pid"] for r in records(install.db_path)]
    assert all(len(pid) == 16 and int(pid, 16) >= 0 for pid in pids)
    # Someone holding the export and guessing ids cannot match them without the key …
    for guess_key in (b"", b"\0" * 32, b"study-a"):
        guessed = {hmac.new(guess_key, f"item\x1fdemo\x1f{c}".encode(), hashlib.sha256).hexdigest()[:16]
                   for c in candidates}
        assert guessed.isdisjoint(pids)
    unkeyed = {hashlib.sha256(c.encode()).hexdigest()[:16] for c in candidates}
    assert unkeyed.isdisjoint(pids) and not any(c.lower() in p for c in candidates for p in pids)
    # … while the participant's own key maps each id to its pseudonym.
    assert [keyed(install.data_dir, "study-a", "item", "demo", c) for c in candidates] == pids


@pytest.mark.parametrize("key", [b"", b"k" * 32, bytes(range(64)), b"long" * 40])
@pytest.mark.parametrize("value", ["BV1xx411c7mD", "用户 42", 1234567890123])
def test_pseudonyms_are_hmac_sha256_of_kind_platform_and_id(key, value):
    from feedlens.research.pseudonym import Pseudonyms

    pseudonyms = Pseudonyms(key)
    for kind, make in (("item", pseudonyms.item), ("author", pseudonyms.author)):
        expected = hmac.new(key, f"{kind}\x1fbilibili\x1f{value}".encode(), hashlib.sha256).hexdigest()
        assert make("bilibili", value) == expected[:16]
    assert pseudonyms.item("bilibili", value) != pseudonyms.author("bilibili", value)
    assert pseudonyms.item("bilibili", None) is None and pseudonyms.author("x", "") is None


async def test_a_study_key_makes_pseudonyms_match_across_participants(tmp_path):
    study_key = "ab" * 32
    installs = [await Install(tmp_path / name).start() for name in ("alice", "bob")]
    for install in installs:
        await install.research.enable("study-k", "1", [], 30, study_key=study_key)
        await install.feed(response([distinctive_item(3)]))
        await install.close()
    alice, bob = (records(i.db_path)[0] for i in installs)
    assert alice["item_pid"] == bob["item_pid"]
    participants = [consents.load(sqlite3.connect(i.db_path), 1).participant for i in installs]
    assert participants[0] != participants[1]


async def test_a_malformed_study_key_is_refused(install):
    with pytest.raises(ValueError, match="hex"):
        await install.research.enable("study-k", "1", [], 30, study_key="not-a-key")
    assert not install.research.enabled


# ---- participant control -------------------------------------------------------------------

async def test_pause_stops_recording_and_resume_continues(install):
    await install.research.enable("study-a", "1", [], 30)
    await install.research.pause(True)
    await install.feed(response([distinctive_item(0), distinctive_item(1)]))
    assert count(install.db_path, "research_records") == 0
    assert (await install.research.state())["recording"] is False
    await install.research.pause(False)
    await install.feed(response([distinctive_item(2)]))
    assert [r["position"] for r in records(install.db_path)] == [2]
    assert count(install.db_path, "items") == 3  # the item log never paused


async def test_a_lost_study_key_stops_recording_and_says_so(tmp_path):
    first = await Install(tmp_path / "data").start()
    await first.research.enable("study-a", "1", [], 30)
    await first.close()
    key_path(first.data_dir, "study-a").unlink()
    again = await Install(tmp_path / "data").start()
    await again.feed(response([distinctive_item(0)]))
    state = await again.research.state()
    await again.close()
    assert state["enabled"] and not state["recording"] and "key" in state["problem"]
    assert count(again.db_path, "research_records") == 0


async def test_pause_is_remembered_across_a_restart(tmp_path):
    first = await Install(tmp_path / "data").start()
    await first.research.enable("study-a", "1", [], 30)
    await first.research.pause(True)
    await first.close()
    again = await Install(tmp_path / "data").start()
    await again.feed(response([distinctive_item(0)]))
    await again.close()
    assert again.research.paused and count(again.db_path, "research_records") == 0


async def test_pausing_while_off_is_refused(install):
    with pytest.raises(ValueError, match="off"):
        await install.research.pause(True)


async def test_disable_withdraws_the_consent_and_stops_recording(install):
    consent = await install.research.enable("study-a", "1", ["title"], 30)
    await install.feed(response([distinctive_item(0)]))
    await install.research.disable()
    await install.feed(response([distinctive_item(1)]))
    assert not install.research.enabled and install.research.consent is None
    assert count(install.db_path, "research_records") == 1  # kept until deleted or expired
    withdrawn = sqlite3.connect(install.db_path).execute(
        "SELECT withdrawn FROM research_consents WHERE id = ?", (consent.id,)).fetchone()[0]
    assert withdrawn is not None


async def test_delete_removes_own_records_in_a_time_range(install):
    await install.research.enable("study-a", "1", [], 30)
    await install.feed(*[response([distinctive_item(n)], at=NOW + n * 60) for n in range(5)])
    assert await install.research.delete(NOW + 60, NOW + 180) == 2
    assert [r["position"] for r in records(install.db_path)] == [0, 3, 4]
    assert await install.research.delete() == 3
    assert count(install.db_path, "research_records") == 0
    assert count(install.db_path, "items") == 5


async def test_deleted_text_does_not_linger_in_the_files(install):
    await install.research.enable("study-a", "1", ["title"], 30)
    await install.feed(*[response([distinctive_item(n)], at=NOW + n * 60) for n in range(40)])
    assert await install.research.delete(NOW, NOW + 20 * 60) == 20
    for n in (0, 7, 19):
        assert on_disk(install.data_dir, f"TITLEMARK{n:04d}Q") == [], n
    assert on_disk(install.data_dir, "TITLEMARK0020Q") == ["feedlens.sqlite3"]  # the kept ones stay


async def test_records_past_their_consents_retention_are_pruned(tmp_path):
    install = Install(tmp_path / "data")
    install.research.clock = lambda: NOW
    await install.start()
    await install.research.enable("short", "1", [], 2)
    await install.feed(response([distinctive_item(0)], at=NOW - 3 * DAY),
                       response([distinctive_item(1)], at=NOW - 1 * DAY))
    await install.research.enable("long", "1", [], 10)
    await install.feed(response([distinctive_item(2)], at=NOW - 3 * DAY))
    assert [r["position"] for r in await install.research.preview(10)] == [2, 1]  # expired hidden
    assert await install.research.prune() == 1
    assert [r["position"] for r in records(install.db_path)] == [1, 2]
    await install.close()


async def test_the_preview_shows_the_newest_rows_in_export_columns(install):
    from feedlens.research.dictionary import NAMES, SCHEMA_VERSION

    await install.research.enable("study-a", "3", ["title"], 30)
    await install.feed(*[response([distinctive_item(n)], at=NOW + n) for n in range(4)])
    rows = await install.research.preview(2)
    assert [list(r) for r in rows] == [list(NAMES)] * 2
    assert [(r["position"], r["title"], r["text"]) for r in rows] == [
        (3, "TITLEMARK0003Q 标题", None), (2, "TITLEMARK0002Q 标题", None)]
    assert {(r["schema_version"], r["study_id"], r["consent_version"]) for r in rows} == {
        (SCHEMA_VERSION, "study-a", "3")}


async def test_a_failing_research_insert_never_costs_the_item_log(install):
    await install.research.enable("study-a", "1", [], 30)
    await install.store.run_write(lambda conn: conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON research_records BEGIN SELECT RAISE(ABORT, 'no'); END"))
    await install.feed(response([distinctive_item(0), distinctive_item(1)]))
    assert count(install.db_path, "items") == 2
    assert count(install.db_path, "research_records") == 0
    assert install.research.errors == 1 and install.store.counts["write_errors"] == 0


async def test_a_running_store_follows_consent_given_through_another_connection(tmp_path):
    """`feedlens research consent` writes the file while the proxy runs; no restart needed."""
    running = await Install(tmp_path / "data").start()
    other = await Install(tmp_path / "data").start()  # the CLI's own connection to the same file
    try:
        await running.feed(response([distinctive_item(1)]))
        await other.research.enable("study-x", "v1", ["title"], 30)
        await running.feed(response([distinctive_item(2)]))
        await other.research.pause(True)
        await running.feed(response([distinctive_item(3)]))
        state = await running.research.state()
    finally:
        await other.close()
        await running.close()
    titles = [row["title"] for row in records(running.db_path, "title")]
    assert titles == [distinctive_item(2).title]
    assert state["enabled"] and state["paused"]
