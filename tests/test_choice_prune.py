"""Old choice observations go with the item log's retention (store.prune, retention_days):
each track keeps its newest ones whatever their age, and the newest of each of its rules (the
counterfactual check's baseline lives there); reverts keep their own evidence."""

from __future__ import annotations

from feedlens.choice import Observation
from feedlens.choices.counterfactual import stored_baseline
from feedlens.choices.prune import KEEP_PER_TRACK
from feedlens.choices.watchdog import Watchdog
from feedlens.store import DAY, Store

CHOICE = "personalised_recommendation"


def obs(state, rule="feed-flag", kind="flag", evidence=None):
    sure = "suspected" if kind == "marker" else "confirmed"
    return Observation("bilibili", CHOICE, rule, kind, sure, state, evidence or {"v": state})


def count(db, device=None) -> int:
    sql = "SELECT COUNT(*) FROM choice_observations" + (" WHERE device = ?" if device else "")
    return db.execute(sql, (device,) if device else ()).fetchone()[0]


async def test_prune_keeps_recent_and_each_tracks_newest(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", retention_days=30, prune_interval=0)
    await store.start()
    try:
        now = 1_800_000_000.0
        old = now - 100 * DAY
        watchdog = Watchdog(store)
        await watchdog.observe(obs("not_personalised", "counterfactual", "marker", {"baseline": 0.8}),
                               "busy", old)
        for n in range(KEEP_PER_TRACK + 10):  # alternating: a revert now and then
            await watchdog.observe(obs("personalised" if n % 3 else "not_personalised"), "busy", old + 1 + n)
        for n in range(2):
            await watchdog.observe(obs("not_personalised"), "busy", now - 60 + n)
        for n in range(3):
            await watchdog.observe(obs("not_personalised"), "quiet", old + n)
        reverts = await store.run_read(lambda db: db.execute("SELECT COUNT(*) FROM choice_reverts").fetchone()[0])
        assert reverts > 0

        await store.prune(now)
        # busy: its newest KEEP_PER_TRACK (2 recent, the rest old) and the counterfactual's
        assert await store.run_read(lambda db: count(db, "busy")) == KEEP_PER_TRACK + 1
        assert await store.run_read(lambda db: stored_baseline(db, ("bilibili", CHOICE, "busy"))) == 0.8
        assert await store.run_read(lambda db: count(db, "quiet")) == 3  # all it has
        oldest = await store.run_read(lambda db: db.execute(
            "SELECT MIN(time) FROM choice_observations WHERE device = 'busy' AND rule = 'feed-flag'").fetchone()[0])
        assert oldest == old + 1 + 10 + 2  # the 12 oldest flag readings went (2 recent are among the newest)
        assert await store.run_read(lambda db: db.execute("SELECT COUNT(*) FROM choice_reverts").fetchone()[0]) == reverts

        await watchdog.observe(obs("not_personalised"), "busy", now)  # the track goes on as before
        assert await store.run_read(lambda db: count(db, "busy")) == KEEP_PER_TRACK + 2
    finally:
        await store.close()
