"""Switch audits that take their condition from the observed switch state.

A listener of the choice watchdog's events (feedlens.hooks): each confirmed observation of a
platform's personalised recommendation — a flag in a request, a read-back of the settings, a
settings write seen on the wire — is a switch of every open session of that platform that
follows the observed state, when it changes the condition: `not_personalised` begins "off",
`personalised` begins "on". Response markers are only ever suspected and never switch. The
switch keeps its source ("observed") and the rule and kind that read it; no device is stored.

This needs no research consent: like a manual mark, a switch holds only a time and a condition
(the audit counts the item log's own items, audit.py).
"""

from __future__ import annotations

import sqlite3

from ..choice import DEFAULT_CHOICE
from .audit import _mark

CONDITION_OF = {"not_personalised": "off", "personalised": "on"}
CONFIRMED_KINDS = frozenset({"flag", "readback", "setting_write"})


def condition_of(event: dict) -> str | None:
    """The condition an event shows, or None when it cannot switch an audit."""
    if event.get("event") != "observation" or event.get("sure") != "confirmed":
        return None
    if event.get("kind") not in CONFIRMED_KINDS or event.get("choice") != DEFAULT_CHOICE:
        return None
    return CONDITION_OF.get(event.get("state"))


def listener(store, conn: sqlite3.Connection, event: dict) -> None:
    condition = condition_of(event)
    if condition is None:
        return
    sessions = conn.execute("SELECT id, started FROM audit_sessions WHERE platform = ? AND"
                            " finished IS NULL AND condition_from = 'observed'",
                            (event["platform"],)).fetchall()
    for session_id, started in sessions:
        if event["time"] >= started:
            follow(conn, session_id, condition, event)


def follow(conn: sqlite3.Connection, session_id: int, condition: str, event: dict) -> bool:
    """Switch the session to `condition` unless it is in it already; returns whether it did."""
    last = conn.execute("SELECT time, condition FROM audit_switches WHERE session_id = ?"
                        " ORDER BY time DESC, id DESC LIMIT 1", (session_id,)).fetchone()
    if last is not None and (last[1] == condition or event["time"] < last[0]):
        return False
    _mark(conn, session_id, condition, event["time"], "observed", event.get("rule"),
          event.get("kind"))
    return True
