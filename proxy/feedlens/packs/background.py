"""Pack updates while `feedlens run` runs: every `period` seconds, each subscription that
updater.update_due() says is due is checked, off the event loop (asyncio.to_thread), one at a
time, and never two checks of one subscription at once (a lock per name). After an activation
`on_updated` runs (the runtime's reload: flows in flight finish on the old engine, new flows get
the new one). Nothing here raises at run time: surprises are counted and shown in health.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from .status import rows
from .subscriptions import SubscriptionError, load_all, now_utc, stamp
from .updater import Outcome, update_due, update_saved

log = logging.getLogger("feedlens")

DEFAULT_PERIOD = 300.0  # seconds between two looks at the subscriptions


class BackgroundUpdates:
    def __init__(self, period: float, on_updated: Callable[[], object], data_dir: Path | None = None):
        self.period = period  # 0: no background loop (checks on request only)
        self.on_updated = on_updated
        self.data_dir = data_dir  # where the kept versions live (None: the default data dir)
        self._locks: dict[str, asyncio.Lock] = {}
        self._task: asyncio.Task | None = None
        self.counts = {"rounds": 0, "checks": 0, "updated": 0, "failed": 0, "errors": 0}
        self.last_round: str | None = None
        self.last_error: str | None = None  # an unexpected error (a bug or a broken file)
        self.last: dict[str, dict] = {}  # name -> the last outcome seen here

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self.period > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="feedlens-pack-updates")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await self.round()
            await asyncio.sleep(self.period)

    # -- checks ---------------------------------------------------------------------------

    async def round(self, *, force: bool = False, only: str | None = None) -> list[Outcome]:
        """Check the due subscriptions (every one with `force`; only `only` when given)."""
        self.counts["rounds"] += 1
        self.last_round = stamp(now_utc())
        try:
            subs = await asyncio.to_thread(load_all)
        except SubscriptionError as exc:
            self._unexpected(str(exc))
            return []
        except Exception as exc:  # the loop must outlive any surprise
            self._unexpected(f"reading the subscriptions: {exc!r}")
            return []
        outcomes = []
        for name, sub in subs.items():
            if only is not None and name != only:
                continue
            if force or update_due(sub, now_utc()):
                outcome = await self.check(name, wait=force)
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    async def check(self, name: str, *, wait: bool = True) -> Outcome | None:
        """One check of subscription `name`; None when another check of it is running and
        `wait` is false (the background round skips it)."""
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked() and not wait:
            return None
        async with lock:
            try:
                outcome = await asyncio.to_thread(update_saved, name, self.data_dir)
            except Exception as exc:
                self._unexpected(f"{name}: {exc!r}")
                outcome = Outcome(name, "failed", f"unexpected error: {exc!r}")
            if outcome is None:
                return None
            self._count(outcome)
            if outcome.result == "updated":
                await self._activated(outcome)
        return outcome

    async def _activated(self, outcome: Outcome) -> None:
        log.info("feedlens: rule pack %s", outcome.message)
        try:
            await asyncio.to_thread(self.on_updated)
        except Exception as exc:
            self._unexpected(f"{outcome.name}: reloading after the update: {exc!r}")

    def _count(self, outcome: Outcome) -> None:
        self.counts["checks"] += 1
        if outcome.result == "updated":
            self.counts["updated"] += 1
        elif not outcome.ok:
            self.counts["failed"] += 1
            log.warning("feedlens: rule pack %s: %s: %s", outcome.name, outcome.result, outcome.message)
        self.last[outcome.name] = {"result": outcome.result, "message": outcome.message,
                                   "at": stamp(now_utc())}

    def _unexpected(self, message: str) -> None:
        self.counts["errors"] += 1
        self.last_error = message
        log.warning("feedlens: pack updates: %s", message)

    # -- health ---------------------------------------------------------------------------

    def health(self, now: dt.datetime | None = None) -> dict:
        """The background updater and every user pack's status row (packs.status.rows), with
        warnings: an expired pack, a failed last check."""
        now = now or now_utc()
        error = None
        try:
            found = rows(load_all(), now, self.data_dir)
        except Exception as exc:  # a broken subscriptions file: shown (not counted: health polls)
            found, error = [], str(exc)
        return {"background": {"enabled": self.period > 0, "period_s": self.period,
                               "running": sorted(n for n, lock in self._locks.items() if lock.locked()),
                               "counts": dict(self.counts), "last_round": self.last_round,
                               "last_error": self.last_error},
                "rows": found, "error": error,
                "warnings": warnings(found) + ([f"rule pack subscriptions: {error}"] if error else [])}


def warnings(found: list[dict]) -> list[str]:
    out = []
    for row in found:
        if row.get("expired"):
            out.append(f"rule pack {row['name']} {row['version']} expired "
                       f"{-row['expires_in_days']} days ago"
                       + (": update it now" if row["kind"] == "subscription" else ""))
        if row.get("last_result") in ("refused", "failed"):
            out.append(f"rule pack {row['name']}: last update {row['last_result']}: {row['error']}")
    return out

