"""Background pack updates (feedlens.packs.background) against a real local pack server: due
subscriptions are checked off the loop, one check per subscription at a time, an activation
triggers the reload, a server that is down is asked again only after its backoff, and nothing
raises: surprises are counted and shown."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from feedlens.packs import versions
from feedlens.packs.background import BackgroundUpdates
from feedlens.packs.subscriptions import load_all, save_one, stamp

from .pack_server import make_pack, new_key
from .service_support import auth, client, rules_dir, runtime, token  # noqa: F401 (fixtures)
from .test_pack_updates import ARCHIVE, home, server, subscribe  # noqa: F401 (fixtures)

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def expire(name: str = "gadget-rules") -> None:
    """Make the active pack look expired and last checked long ago."""
    sub = load_all()[name]
    sub.released, sub.last_ok, sub.expires_days = LONG_AGO.date().isoformat(), stamp(LONG_AGO), 7
    save_one(sub)


async def test_a_due_subscription_is_updated_and_the_reload_runs_once(home, server):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    reloads = []
    updates = BackgroundUpdates(0, lambda: reloads.append(versions.active_version("gadget-rules")))
    first = await updates.round()
    assert [(o.name, o.result) for o in first] == [("gadget-rules", "updated")]
    assert reloads == ["1"]  # the reload sees the new version already active
    assert (await updates.round()) == []  # checked just now: not due
    expire()
    server.files[ARCHIVE] = make_pack(home, key, "2")
    assert [o.result for o in (await updates.round())] == ["updated"]
    assert reloads == ["1", "2"] and server.hits[ARCHIVE] == 2
    health = updates.health()
    assert health["background"]["counts"] == {"rounds": 3, "checks": 2, "updated": 2, "failed": 0, "errors": 0}
    row = health["rows"][0]
    assert (row["name"], row["version"], row["last_result"]) == ("gadget-rules", "2", "updated")


async def test_an_expired_pack_is_a_warning(home, server):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    updates = BackgroundUpdates(0, lambda: None)
    await updates.round()
    assert updates.health()["warnings"] == []
    expire()
    warning, = updates.health()["warnings"]
    assert warning.startswith("rule pack gadget-rules 1 expired ") and warning.endswith(": update it now")


async def test_a_server_that_is_down_is_asked_again_only_after_the_backoff(home, server):
    _, pub = new_key()
    server.status[ARCHIVE] = 503
    subscribe(server, pub)
    updates = BackgroundUpdates(0, lambda: None)
    for _ in range(5):
        await updates.round()
    assert server.hits[ARCHIVE] == 1
    sub = load_all()["gadget-rules"]
    assert (sub.failures, sub.last_result) == (1, "failed") and "503" in sub.error
    health = updates.health()
    assert health["background"]["counts"]["failed"] == 1
    assert any("last update failed" in w for w in health["warnings"])
    forced = await updates.round(force=True)  # "update now" does not wait for the backoff
    assert [o.result for o in forced] == ["failed"] and server.hits[ARCHIVE] == 2


async def test_two_checks_of_one_subscription_never_run_at_once(home, server, monkeypatch):
    _, pub = new_key()
    server.files[ARCHIVE] = b"not a pack"
    subscribe(server, pub)
    updates = BackgroundUpdates(0, lambda: None)

    async def both():
        first = asyncio.create_task(updates.check("gadget-rules"))
        await asyncio.sleep(0)  # the first holds the lock now
        skipped = await updates.check("gadget-rules", wait=False)
        return await first, skipped

    first, skipped = await both()
    assert first.result == "refused" and skipped is None and server.hits[ARCHIVE] == 1


async def test_surprises_are_counted_not_raised(home, server, monkeypatch):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)

    def broken_reload():
        raise RuntimeError("reload broke")

    updates = BackgroundUpdates(0, broken_reload)
    assert [o.result for o in (await updates.round())] == ["updated"]
    (home / "config" / "feedlens" / "subscriptions.json").write_text("{not json")
    assert (await updates.round()) == []
    health = updates.health()
    assert health["background"]["counts"]["errors"] == 2  # the reload, the round
    assert "cannot read the subscriptions" in health["background"]["last_error"]
    assert health["rows"] == [] and "cannot read the subscriptions" in health["error"]
    assert health["warnings"] == [f"rule pack subscriptions: {health['error']}"]
    assert updates.health()["background"]["counts"]["errors"] == 2  # polling health adds none


@pytest.mark.parametrize("period", [0.05])
async def test_the_loop_runs_every_period_and_stops(home, server, period):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    subscribe(server, pub)
    updates = BackgroundUpdates(period, lambda: None)

    async def live():
        updates.start()
        for _ in range(200):
            await asyncio.sleep(0.05)
            if versions.active_version("gadget-rules") == "1" and updates.counts["rounds"] >= 3:
                break
        await updates.stop()
        return updates.counts["rounds"]

    rounds = await live()
    assert versions.active_version("gadget-rules") == "1" and rounds >= 3
    assert updates.health()["background"]["running"] == []


@pytest.fixture
def service_env(home):
    """The service fixtures (a real Runtime and app) with this test's config and data dirs."""
    return home


async def test_update_now_through_the_api_and_health(service_env, server, client, auth, runtime):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(service_env, key, "1")
    subscribe(server, pub)
    anonymous = await client.post("/api/packs/update", json={})
    assert anonymous.status == 401
    answer = await client.post("/api/packs/update", json={}, headers=auth)
    assert answer.status == 200
    data = await answer.json()
    assert [(o["name"], o["result"], o["ok"]) for o in data["outcomes"]] == [("gadget-rules", "updated", True)]
    assert data["packs"]["rows"][0]["version"] == "1"
    assert "gadget-rules" in [p["name"] for p in runtime.layering.summary()]  # reloaded
    missing = await client.post("/api/packs/update", json={"name": "nope"}, headers=auth)
    assert missing.status == 404
    expire()
    health = await (await client.get("/api/health", headers=auth)).json()
    row, = health["pack_updates"]["rows"]
    assert (row["version"], row["expired"], row["last_result"]) == ("1", True, "updated")
    assert health["pack_updates"]["warnings"][0].startswith("rule pack gadget-rules 1 expired")
    assert health["pack_updates"]["background"]["enabled"] is False  # a bare Runtime: no loop
    dashboard = await (await client.get("/api/dashboard", headers=auth)).json()
    assert dashboard["pack_notices"] == health["pack_updates"]["warnings"]


@pytest.mark.parametrize("flags,seconds", [((), 300), (("--no-pack-updates",), 0),
                                           (("--pack-check-seconds", "7"), 7)])
def test_feedlens_run_flags_set_the_check_period(tmp_path, flags, seconds):
    import argparse

    from feedlens.run import _options, add_run_parser

    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    args = parser.parse_args(["run", *flags])
    assert _options(args, tmp_path)[1]["feedlens_pack_check"] == seconds
