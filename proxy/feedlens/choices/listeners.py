"""Tell the listeners other features registered (feedlens.hooks.choice_listeners) what the
watchdog just recorded: each observation and each revert as a plain dict.

Runs inside the watchdog's own write on the store's writer thread, each listener in its own
savepoint: a listener that fails is rolled back and logged, and the watchdog's rows stay.
"""

from __future__ import annotations

import logging
import sqlite3

from .. import hooks
from ..choice import Observation
from ..sqlerrors import rollback
from .track import Revert, Track

log = logging.getLogger("feedlens")
SAVEPOINT = "choice_listener"


def events(key: tuple, track: Track, observation: Observation, revert: Revert | None,
           now: float) -> list[dict]:
    platform, choice, device = key
    common = {"time": now, "platform": platform, "choice": choice, "device": device,
              "epoch": track.epoch, "rule": observation.rule, "kind": observation.kind,
              "state": observation.state}
    out = [{**common, "event": "observation", "sure": observation.sure, "reason": None,
            "evidence": dict(observation.evidence)}]
    if revert is not None:
        out.append({**common, "event": "revert", "sure": revert.sure, "reason": revert.reason,
                    "evidence": [dict(e) for e in revert.evidence]})
    return out


def tell(store, conn: sqlite3.Connection, found: list[dict]) -> int:
    """Hand each event to each listener; returns how many calls failed."""
    failed = 0
    for name, listener in hooks.choice_listeners().items():
        for event in found:
            conn.execute(f"SAVEPOINT {SAVEPOINT}")
            try:
                listener(store, conn, event)
                conn.execute(f"RELEASE {SAVEPOINT}")
            except Exception as exc:  # the watchdog's rows must not go with a listener's
                if not conn.in_transaction:  # SQLite rolled everything back (disk full): say so
                    raise
                rollback(conn, SAVEPOINT)
                failed += 1
                log.error("feedlens: choice listener %s failed on a %s: %s: %s", name,
                          event["event"], type(exc).__name__, exc)
    return failed
