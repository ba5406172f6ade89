"""The parent lock kept in the store (issue 15, items 3 and 3b), with real runtimes on a real
SQLite file: a restart with another profile keeps the locked one, a locked file edited on disk
is refused until the PIN confirms it, a locked profile that cannot load runs as the strictest
built-in one, device names cannot escape a lock, and time requests are capped per household."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from feedlens import paths
from feedlens.minors.lock import STRICT
from feedlens.minors.pin import ParentPin
from feedlens.minors.time_requests import MAX_PENDING, MAX_PENDING_HOUSEHOLD
from feedlens.minors.state import MinorsError
from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app
from feedlens.service.parent_guard import PIN_HEADER
from feedlens.store import Store
from tests.service_support import write_rules

PIN = "2468"
KID = """\
title: Kid
version: 1
locked: true
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
"""


@pytest.fixture
def rules(tmp_path):
    root = write_rules(tmp_path / "rules")
    (root / "profiles" / "kid.yaml").write_text(KID, encoding="utf-8")
    return root


def make_runtime(tmp_path, rules, profile: str) -> Runtime:
    store = Store(tmp_path / "data" / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    return Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile=profile), store=store)


async def started(tmp_path, rules, profile: str) -> Runtime:
    runtime = make_runtime(tmp_path, rules, profile)
    await runtime.start()
    return runtime


def audit_rows(tmp_path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "data" / "feedlens.sqlite3") as conn:
        return conn.execute("SELECT route, outcome, profile, detail FROM parent_audit").fetchall()


async def test_a_restart_with_another_profile_keeps_the_locked_one(tmp_path, rules, capsys):
    first = await started(tmp_path, rules, "kid")
    assert first.health()["parent_lock"]["active"] == "kid"
    await first.close()

    again = await started(tmp_path, rules, "default")  # `feedlens run --profile default`
    try:
        assert again.profile_name == "kid" and again.engine.profile.locked
        lock = again.health()["parent_lock"]
        assert lock["active"] == "kid" and "'default' was not activated" in lock["refused"]
        assert "needs the parent PIN" in capsys.readouterr().err
        assert ("run_profile", "refused_no_pin", "kid", "to default") in audit_rows(tmp_path)
        with pytest.raises(ValueError, match="locked by the parent"):
            again.set_profile("default")  # a live option change cannot leave it either
    finally:
        await again.close()


async def test_a_locked_file_edited_on_disk_stays_as_stored_until_the_pin_confirms_it(
        tmp_path, rules, aiohttp_client):
    runtime = make_runtime(tmp_path, rules, "kid")
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    await ParentPin(runtime.store).set_pin(PIN)
    path = rules / "profiles" / "kid.yaml"
    path.write_text(KID.replace("locked: true", "locked: false"), encoding="utf-8")
    runtime.reload()
    assert runtime.engine.profile.locked  # the stored copy, not the file
    assert runtime.health()["parent_lock"]["pending"] == {"kid": "changed"}
    assert not runtime.health()["parent_lock"]["ok"]
    path.write_text("locked: true\nrules: [\n", encoding="utf-8")  # corrupt: still the copy
    runtime.reload()
    assert runtime.engine.profile.locked and runtime.engine.profile.rules[0].id == "no-ads"

    token = (runtime.config.data_dir / "token").read_text().strip()
    auth = {"Authorization": f"Bearer {token}"}
    leave = await client.post("/api/profiles/active", json={"name": "default"}, headers=auth)
    assert leave.status == 403 and runtime.profile_name == "kid"
    edited = KID.replace("no-ads", "no-ads-v2")
    put = await client.put("/api/profiles/kid", json={"yaml": edited}, headers=auth)
    assert put.status == 403
    put = await client.put("/api/profiles/kid", json={"yaml": edited}, headers={**auth, PIN_HEADER: PIN})
    assert put.status == 200, await put.text()
    assert runtime.engine.profile.rules[0].id == "no-ads-v2" and not runtime.lock.pending
    with sqlite3.connect(tmp_path / "data" / "feedlens.sqlite3") as conn:
        assert "no-ads-v2" in conn.execute("SELECT text FROM parent_locks WHERE name = 'kid'").fetchone()[0]
    leave = await client.post("/api/profiles/active", json={"name": "default"},
                              headers={**auth, PIN_HEADER: PIN})
    assert leave.status == 200 and runtime.profile_name == "default"
    assert runtime.lock.active is None


async def test_a_locked_profile_that_cannot_load_runs_as_the_strictest_built_in(tmp_path, rules):
    (rules / "profiles" / "kid.yaml").write_text(KID + "  - {broken\n", encoding="utf-8")
    runtime = make_runtime(tmp_path, rules, "default")
    await runtime.start()
    try:
        await runtime.minors.set_device("user:kid", "kid")
        entry = runtime.profile_engine("kid", assigned=True)
        bundled = paths.profiles_dir(paths.bundled_rules_dir()) / f"{STRICT}.yaml"
        assert entry.engine.profile.path == str(bundled) and entry.engine.profile.locked
        assert STRICT in runtime.fallbacks["kid"] and entry.limits.any
        health = runtime.health()["parent_lock"]
        assert health["ok"] is False and "kid" in health["fallbacks"]
        assert "strictest built-in" in " ".join(runtime.device_profile_errors["kid"])
    finally:
        await runtime.close()


async def test_device_names_cannot_escape_the_lock(tmp_path, rules):
    runtime = await started(tmp_path, rules, "default")
    try:
        minors = runtime.minors
        await minors.set_device("user:kid", "kid")
        await minors.set_device("user:parent", "default")
        await minors.set_device("addr:10.0.0.7", "kid")
        runtime.reload()  # builds the assigned engines, which records kid's lock
        assert runtime.lock.is_locked("kid")
        assert minors.profile_for(minors.device_for("user:kid", "addr:10.0.0.5")) == "kid"
        assert minors.profile_for("user:kid2") == "kid"  # unknown: the household's locked default
        assert minors.profile_for("addr:10.0.0.9") == "kid"
        assert minors.profile_for("addr:127.0.0.1") == "default"  # the console stays the parent's
        # the tablet at 10.0.0.7 is locked: calling itself "parent" does not leave it
        assert minors.device_for("user:parent", "addr:10.0.0.7") == "addr:10.0.0.7"
        assert minors.device_for("user:parent", "addr:10.0.0.5") == "user:parent"
    finally:
        await runtime.close()


async def test_pending_time_requests_are_capped_per_household(tmp_path, rules):
    runtime = await started(tmp_path, rules, "default")
    try:
        minors = runtime.minors
        for n in range(MAX_PENDING_HOUSEHOLD + 10):  # invented proxy user names
            try:
                await minors.add_time_request(f"user:invented{n}", 30, None)
            except MinorsError as exc:
                assert "household" in str(exc)
        for _ in range(MAX_PENDING + 2):
            await minors.add_time_request("user:invented0", 30, None)
        assert len(await minors.time_requests()) == MAX_PENDING_HOUSEHOLD
    finally:
        await runtime.close()


async def test_the_parent_page_turns_red_and_shows_the_precedence(tmp_path, rules, aiohttp_client):
    from tests.test_parent_page import enter, get_page

    (rules / "profiles" / "kid.yaml").write_text("locked: true\nrules: [\n", encoding="utf-8")
    runtime = make_runtime(tmp_path, rules, "default")
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    await runtime.minors.set_device("user:kid", "kid")
    runtime.reload()
    token = (runtime.config.data_dir / "token").read_text().strip()
    response = await client.get("/api/minors/overview", headers={"Authorization": f"Bearer {token}"})
    lock = (await response.json())["parent_lock"]
    assert lock["ok"] is False and list(lock["fallbacks"]) == ["kid"]
    await enter(client, token)
    _, html = await get_page(client)
    assert 'class="notice bad" role="alert"' in html and "strictest built-in profile" in html
    assert "wins over any proxy user name" in html


async def test_wrong_pins_lock_out_the_guessing_client_only(tmp_path, rules, aiohttp_client):
    from feedlens.minors.pin import MAX_FAILURES

    runtime = make_runtime(tmp_path, rules, "kid")
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    await ParentPin(runtime.store).set_pin(PIN)
    token = (runtime.config.data_dir / "token").read_text().strip()
    auth = {"Authorization": f"Bearer {token}"}
    child = {**auth, "Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
    statuses = []
    for n in range(MAX_FAILURES + 1):  # the extension's token in a child's hands, guessing
        response = await client.post("/api/profiles/active", json={"name": "default"},
                                     headers={**child, PIN_HEADER: f"00{n:02d}"})
        statuses.append(response.status)
    assert statuses == [403] * (MAX_FAILURES - 1) + [429, 429]
    locked = await ParentPin(runtime.store).lockouts()
    assert list(locked) == ["origin:chrome-extension://abcdefghijklmnopabcdefghijklmnop"]
    # the parent, from another client, is not locked out by the child's guesses
    response = await client.post("/api/profiles/active", json={"name": "default"},
                                 headers={**auth, PIN_HEADER: PIN})
    assert response.status == 200, await response.text()


async def test_parent_confirm_makes_the_edited_file_the_locked_copy(tmp_path, rules, monkeypatch):
    import io

    from feedlens.cli import main

    first = await started(tmp_path, rules, "kid")
    await ParentPin(first.store).set_pin(PIN)
    await first.close()
    path = rules / "profiles" / "kid.yaml"
    path.write_text(KID.replace("no-ads", "no-ads-v2"), encoding="utf-8")

    def confirm(pin: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(pin + "\n"))
        return main(["--rules", str(rules), "parent", "--data-dir", str(tmp_path / "data"),
                     "confirm", "kid", "--pin-stdin"])
    again = await started(tmp_path, rules, "kid")
    assert again.engine.profile.rules[0].id == "no-ads" and again.lock.pending == {"kid": "changed"}
    await again.close()
    assert await asyncio.to_thread(confirm, "0000") == 1  # the CLI runs its own event loop
    assert await asyncio.to_thread(confirm, PIN) == 0
    third = await started(tmp_path, rules, "kid")
    try:
        assert third.engine.profile.rules[0].id == "no-ads-v2" and not third.lock.pending
        assert ("cli_confirm", "confirmed", "kid", None) in audit_rows(tmp_path)
    finally:
        await third.close()
