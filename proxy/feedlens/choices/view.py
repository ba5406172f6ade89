"""What the user is told (the service's /api/choices, the "Your choices" page, the popup): per
platform and device the choice, the state last observed, when it was last verified, each revert
with its time, sureness and evidence, and whether a suspected revert is open. Read-only SQL over
the watchdog's tables (schema.py), run on the store's reader."""

from __future__ import annotations

import json
import sqlite3

from .case import scrub
from .track import OFF, ON

MAX_REVERTS = 50  # per track, newest first: enough for the page and its chart


def status(track: dict) -> str:
    """One word for the track: honoured, reverted (confirmed), suspected, or unknown."""
    if track["reverted"]:
        return "reverted"
    if track["suspected"]:
        return "suspected"
    if track["armed"] or track["marker_armed"] or track["observed"] == OFF:
        return "honoured"
    return "unknown"


def read_choices(db: sqlite3.Connection, platform: str | None = None) -> list[dict]:
    sql = ("SELECT platform, choice, device, epoch, armed, reverted, suspected, marker_armed, "
           "last_state, last_verified, last_seen FROM choice_tracks")
    args: tuple = ()
    if platform is not None:
        sql, args = sql + " WHERE platform = ?", (platform,)
    rows = []
    for (name, choice, device, epoch, armed, reverted, suspected, marker_armed, state, verified,
         seen) in db.execute(sql + " ORDER BY platform, device", args).fetchall():
        track = {"platform": name, "choice": choice, "device": device, "epoch": epoch,
                 "armed": bool(armed), "reverted": bool(reverted), "suspected": bool(suspected),
                 "marker_armed": bool(marker_armed), "observed": state or "unknown",
                 "last_verified": verified, "last_seen": seen,
                 "reverts": _reverts(db, (name, choice, device))}
        track["status"] = status(track)
        rows.append(track)
    return rows


def _reverts(db: sqlite3.Connection, key: tuple) -> list[dict]:
    found = db.execute("SELECT id, time, epoch, sure, reason, evidence FROM choice_reverts WHERE "
                       "platform = ? AND choice = ? AND device = ? ORDER BY time DESC, id DESC LIMIT ?",
                       (*key, MAX_REVERTS)).fetchall()
    return [{"id": rid, "time": time, "epoch": epoch, "sure": sure, "reason": reason,
             "evidence": scrub(json.loads(evidence))} for rid, time, epoch, sure, reason, evidence in found]


__all__ = ["OFF", "ON", "read_choices", "status"]
