"""Household mode's device enrolment links in the store (service/enrol.py makes and shows them).

A link's code is kept only as its SHA-256: the store never holds a working link. A link opens
its device's page until it expires and assigns the parent's profile once (`claim`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

TTL = 24 * 3600.0  # a day to get to the device
MAX_OPEN = 16  # links not yet expired; making one more forgets the oldest


@dataclass(frozen=True)
class Enrolment:
    name: str  # the device's name: its proxy user name and its label
    profile: str
    expires: float
    used: bool = False


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()


async def create(store, name: str, profile: str, now: float | None = None) -> str:
    """A new link's code (shown once, in the parent's QR code)."""
    now = time.time() if now is None else now
    code = secrets.token_urlsafe(18)

    def write(conn):
        conn.execute("DELETE FROM parent_enrolments WHERE expires <= ?", (now,))
        conn.execute("INSERT INTO parent_enrolments (code_hash, name, profile, created, expires)"
                     " VALUES (?, ?, ?, ?, ?)", (digest(code), name, profile, now, now + TTL))
        conn.execute("DELETE FROM parent_enrolments WHERE code_hash NOT IN (SELECT code_hash FROM"
                     " parent_enrolments ORDER BY created DESC, rowid DESC LIMIT ?)", (MAX_OPEN,))
    await store.run_write(write)
    return code


async def find(store, code: str, now: float | None = None) -> Enrolment | None:
    """The link's enrolment while it has not expired (used or not), else None."""
    now = time.time() if now is None else now
    row = await store.run_read(lambda conn: conn.execute(
        "SELECT name, profile, expires, used_at FROM parent_enrolments WHERE code_hash = ?"
        " AND expires > ?", (digest(code), now)).fetchone())
    return None if row is None else Enrolment(row[0], row[1], row[2], row[3] is not None)


async def claim(store, code: str, now: float | None = None) -> bool:
    """Mark the link used; False when it is unknown, expired or used already (one transaction:
    two devices racing with one link cannot both take it)."""
    now = time.time() if now is None else now
    return await store.run_write(lambda conn: conn.execute(
        "UPDATE parent_enrolments SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
        " AND expires > ?", (now, digest(code), now)).rowcount == 1)


async def release(store, code: str) -> None:
    """Undo a claim whose assignment failed: the parent's link stays good."""
    await store.run_write(lambda conn: conn.execute(
        "UPDATE parent_enrolments SET used_at = NULL WHERE code_hash = ?", (digest(code),)))
