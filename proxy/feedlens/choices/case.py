"""A recorded revert as a plain "case" for a complaint: the revert, its track and the epoch's
history of observations, read from the store. Plain dicts only, so the reports feature can
build the bundle without importing this feature (the CLI passes the case across).

What is read was stored by the watchdog, which never keeps a cookie or token value: evidence
is the field a choice rule reads, its value cut short, and method, host and path. A last scrub
drops any evidence key that names a session header anyway, so a future rule cannot leak one.
"""

from __future__ import annotations

import json
import sqlite3

MAX_HISTORY = 500  # observations of the epoch kept in a bundle, newest last
_SECRET_KEYS = ("cookie", "authorization", "token", "csrf", "session", "sessdata", "bili_jct")


class CaseError(LookupError):
    """No such revert in the store."""


def read_case(db: sqlite3.Connection, revert_id: int) -> dict:
    revert = _one(db, "SELECT id, time, platform, choice, device, epoch, sure, reason, evidence "
                      "FROM choice_reverts WHERE id = ?", (revert_id,))
    if revert is None:
        raise CaseError(f"no revert {revert_id}")
    revert["evidence"] = scrub(json.loads(revert["evidence"]))
    key = (revert["platform"], revert["choice"], revert["device"])
    track = _one(db, "SELECT epoch, armed, reverted, suspected, last_state, last_verified, last_seen "
                     "FROM choice_tracks WHERE platform = ? AND choice = ? AND device = ?", key)
    history = _all(db, "SELECT id, time, epoch, rule, kind, sure, state, evidence "
                       "FROM choice_observations WHERE platform = ? AND choice = ? AND device = ? "
                       "AND epoch = ? AND time <= ? ORDER BY time DESC, id DESC LIMIT ?",
                   (*key, revert["epoch"], revert["time"], MAX_HISTORY))
    for row in history:
        row["evidence"] = scrub(json.loads(row["evidence"]))
    history.reverse()
    epochs = _all(db, "SELECT epoch, MIN(time) AS first, MAX(time) AS last, COUNT(*) AS observations "
                      "FROM choice_observations WHERE platform = ? AND choice = ? AND device = ? "
                      "GROUP BY epoch ORDER BY epoch", key)
    return {"revert": revert, "track": track, "history": history, "epochs": epochs}


def scrub(value):
    """The evidence without any key that names a session secret (recursively)."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()
                if not any(secret in str(k).lower() for secret in _SECRET_KEYS)}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _one(db, sql: str, params: tuple) -> dict | None:
    rows = _all(db, sql, params)
    return rows[0] if rows else None


def _all(db, sql: str, params: tuple) -> list[dict]:
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
