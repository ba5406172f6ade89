"""What the user is told (the service's /api/choices, the "Your choices" page, the popup): per
platform and device the choice, the state last observed, when it was last verified, each revert
with its time, sureness and evidence, whether a suspected revert is open, and what the user
declared (declare.py). A platform declared but never observed has a row too. Read-only SQL over
the watchdog's tables (schema.py), run on the store's reader; `sections` (choice.choice_sections
of the rules in use) says which platforms need the user's declaration."""

from __future__ import annotations

import json
import sqlite3

from .case import scrub
from .declare import declarations, declared
from .track import OFF, ON

MAX_REVERTS = 50  # per track, newest first: enough for the page and its chart


def status(track: dict) -> str:
    """One word for the track: declared_on (the user wants it on: not watched), not_declared
    (the platform needs the user's word first), honoured, reverted (confirmed), suspected, or
    unknown."""
    if track.get("declared") == ON:
        return "declared_on"
    if track.get("declare") == "required" and track.get("declared") is None:
        return "not_declared"
    if track["reverted"]:
        return "reverted"
    if track["suspected"]:
        return "suspected"
    if track["armed"] or track["marker_armed"] or track["observed"] == OFF:
        return "honoured"
    return "unknown"


def read_choices(db: sqlite3.Connection, platform: str | None = None,
                 sections: dict[str, str] | None = None) -> list[dict]:
    sections = sections or {}
    rows = _tracks(db, platform)
    for track in rows:
        found = declared(db, track["platform"], track["device"], track["choice"])
        track.update(declared=found.state if found else None, declare=sections.get(track["platform"], "optional"))
        track["status"] = status(track)
    rows += _declared_only(db, rows, platform, sections)
    return sorted(rows, key=lambda row: (row["platform"], row["device"]))


def _declared_only(db: sqlite3.Connection, tracks: list[dict], platform: str | None,
                   sections: dict[str, str]) -> list[dict]:
    """A row for each declaration no observed track of its platform answers to yet."""
    out = []
    for said in declarations(db):
        if platform is not None and said.platform != platform:
            continue
        if any(t["platform"] == said.platform and t["choice"] == said.choice and
               said.device in ("*", t["device"]) for t in tracks):
            continue
        row = {"platform": said.platform, "choice": said.choice, "device": said.device, "epoch": 0,
               "armed": False, "reverted": False, "suspected": False, "marker_armed": False,
               "observed": "unknown", "last_verified": None, "last_seen": None, "reverts": [],
               "declared": said.state, "declare": sections.get(said.platform, "optional")}
        row["status"] = status(row)
        out.append(row)
    return out


def _tracks(db: sqlite3.Connection, platform: str | None) -> list[dict]:
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
        rows.append(track)
    return rows


def _reverts(db: sqlite3.Connection, key: tuple) -> list[dict]:
    found = db.execute("SELECT id, time, epoch, sure, reason, evidence FROM choice_reverts WHERE "
                       "platform = ? AND choice = ? AND device = ? ORDER BY time DESC, id DESC LIMIT ?",
                       (*key, MAX_REVERTS)).fetchall()
    return [{"id": rid, "time": time, "epoch": epoch, "sure": sure, "reason": reason,
             "evidence": scrub(json.loads(evidence))} for rid, time, epoch, sure, reason, evidence in found]


__all__ = ["OFF", "ON", "read_choices", "status"]
