"""What the user says they chose: "personalised recommendations off" (or on) per platform, for
one device (the client address the proxy sees) or for every device ('*').

The wire does not always show the user's own change: X's home tabs say which feed is shown,
not whether the user clicked the tab, and Douyin or Weibo show nothing at all. A declaration
is the user's word for what the watchdog should hold the platform to; the watchdog still arms
only on an observation that confirms it (track.py), and the counterfactual check takes its
baseline while the declared choice is known honoured (counterfactual.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..choice import DEFAULT_CHOICE
from .track import OFF, ON

EVERY_DEVICE = "*"
STATES = (OFF, ON)


class DeclarationError(ValueError):
    """A declaration that cannot be stored: an unknown state or an empty platform."""


@dataclass(frozen=True)
class Declaration:
    platform: str
    choice: str
    device: str  # a client address, or EVERY_DEVICE
    state: str  # not_personalised | personalised
    time: float


def declare(db: sqlite3.Connection, platform: str, state: str, now: float,
            device: str = EVERY_DEVICE, choice: str = DEFAULT_CHOICE) -> Declaration:
    """Store (or replace) the user's word; runs on the store's writer (store.run_write)."""
    if state not in STATES:
        raise DeclarationError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    if not platform or not device:
        raise DeclarationError("a declaration needs a platform and a device ('*' for every device)")
    db.execute("INSERT OR REPLACE INTO choice_declarations (platform, choice, device, state, time) "
               "VALUES (?, ?, ?, ?, ?)", (platform, choice, device, state, now))
    return Declaration(platform, choice, device, state, now)


def withdraw(db: sqlite3.Connection, platform: str, device: str = EVERY_DEVICE,
             choice: str = DEFAULT_CHOICE) -> bool:
    """Forget a declaration; True when there was one."""
    cursor = db.execute("DELETE FROM choice_declarations WHERE platform = ? AND choice = ? AND device = ?",
                        (platform, choice, device))
    return cursor.rowcount > 0


def declared(db: sqlite3.Connection, platform: str, device: str,
             choice: str = DEFAULT_CHOICE) -> Declaration | None:
    """The declaration that holds for this device: its own, else the one for every device."""
    row = db.execute("SELECT platform, choice, device, state, time FROM choice_declarations "
                     "WHERE platform = ? AND choice = ? AND device IN (?, ?) "
                     "ORDER BY device = ? LIMIT 1", (platform, choice, device, EVERY_DEVICE,
                                                      EVERY_DEVICE)).fetchone()
    return None if row is None else Declaration(*row)


def declarations(db: sqlite3.Connection) -> list[Declaration]:
    rows = db.execute("SELECT platform, choice, device, state, time FROM choice_declarations "
                      "ORDER BY platform, device").fetchall()
    return [Declaration(*row) for row in rows]
