"""The parent PIN: an argon2id hash in SQLite, with rate-limited attempts and a lockout.

argon2id is memory-hard (64 MiB per guess with argon2-cffi's defaults), so a copied database
does not give a short PIN away cheaply; online guessing is what the lockout stops: after
MAX_FAILURES wrong PINs in a row every attempt is refused for a while, doubling each time
(5 min, 10 min, 20 min, … at most a day). The counters live in the same table as the hash,
so a restart does not reset them. A correct PIN resets them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_FAILURES = 5
BASE_LOCKOUT_SECONDS = 300.0
MAX_LOCKOUT_SECONDS = 86400.0
MIN_LENGTH = 4
MAX_LENGTH = 64


class PinError(ValueError):
    pass


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # ok | unset | wrong | locked
    locked_until: float | None = None
    failures: int = 0


def check_new_pin(pin: str) -> str:
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH or pin != pin.strip():
        raise PinError(f"a PIN has {MIN_LENGTH} to {MAX_LENGTH} characters and no surrounding spaces")
    return pin


def lockout_seconds(lockouts: int) -> float:
    """Length of the lockout that starts after `lockouts` earlier ones."""
    return min(BASE_LOCKOUT_SECONDS * 2 ** min(lockouts, 20), MAX_LOCKOUT_SECONDS)


class ParentPin:
    def __init__(self, store, *, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None):
        self.store = store
        self.clock = clock
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._verifying = asyncio.Lock()  # one guess at a time: parallel guesses cannot race the counter

    async def _row(self) -> dict | None:
        def read(conn):
            row = conn.execute("SELECT * FROM parent_pin WHERE id = 1").fetchone()
            return dict(row) if row else None
        return await self.store.run_read(read)

    async def is_set(self) -> bool:
        return await self._row() is not None

    async def status(self) -> dict:
        row = await self._row()
        if row is None:
            return {"set": False, "set_at": None, "failures": 0, "locked_until": None}
        locked = row["locked_until"] if (row["locked_until"] or 0) > self.clock() else None
        return {"set": True, "set_at": row["set_at"], "failures": row["failures"],
                "locked_until": locked}

    async def set_pin(self, pin: str) -> None:
        digest = await asyncio.to_thread(self.hasher.hash, check_new_pin(pin))
        now = self.clock()
        await self.store.run_write(lambda conn: conn.execute(
            "INSERT INTO parent_pin (id, hash, set_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE"
            " SET hash = excluded.hash, set_at = excluded.set_at, failures = 0, lockouts = 0,"
            " locked_until = NULL", (digest, now)))

    async def verify(self, pin: str | None) -> Verdict:
        async with self._verifying:
            row = await self._row()
            if row is None:
                return Verdict(False, "unset")
            now = self.clock()
            if (row["locked_until"] or 0) > now:
                return Verdict(False, "locked", row["locked_until"], row["failures"])
            if await asyncio.to_thread(self._matches, row["hash"], pin or ""):
                await self.store.run_write(lambda conn: conn.execute(
                    "UPDATE parent_pin SET failures = 0, lockouts = 0, locked_until = NULL"
                    " WHERE id = 1"))
                return Verdict(True, "ok")
            return await self.store.run_write(lambda conn: _count_failure(conn, now))

    def _matches(self, digest: str, pin: str) -> bool:
        try:
            return self.hasher.verify(digest, pin)
        except (VerificationError, InvalidHashError):
            return False


def _count_failure(conn, now: float) -> Verdict:
    failures, lockouts = conn.execute(
        "SELECT failures + 1, lockouts FROM parent_pin WHERE id = 1").fetchone()
    if failures < MAX_FAILURES:
        conn.execute("UPDATE parent_pin SET failures = ? WHERE id = 1", (failures,))
        return Verdict(False, "wrong", None, failures)
    until = now + lockout_seconds(lockouts)
    conn.execute("UPDATE parent_pin SET failures = 0, lockouts = ?, locked_until = ? WHERE id = 1",
                 (lockouts + 1, until))
    return Verdict(False, "locked", until, failures)
