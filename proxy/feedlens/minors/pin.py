"""The parent PIN: an argon2id hash in SQLite, with rate-limited attempts and a lockout.

argon2id is memory-hard (64 MiB per guess with argon2-cffi's defaults), so a copied database
does not give a short PIN away cheaply; online guessing is what the lockout stops: after
MAX_FAILURES wrong PINs in a row every attempt is refused for a while, doubling each time
(5 min, 10 min, 20 min, … at most a day). The counters live in the same table as the hash,
so a restart does not reset them. A correct PIN resets them.

Wrong PINs are counted per client (`client`: the extension's origin, the dashboard, the API
token without an origin), so a child guessing with the extension's token locks out that client
only; the console of the machine running feedlens (`feedlens parent`, client CONSOLE) is never
locked out. A forgotten PIN is reset with the recovery code shown once when the PIN is set
(only its argon2id hash is kept), never with mere shell access.
"""

from __future__ import annotations

import asyncio
import secrets
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
CONSOLE = "console"  # the CLI on the machine running feedlens: never locked out
RECOVERY_KEY = "recovery_hash"  # parent_state row: the recovery code's argon2id hash
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper


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
        def write(conn):
            conn.execute(
                "INSERT INTO parent_pin (id, hash, set_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE"
                " SET hash = excluded.hash, set_at = excluded.set_at, failures = 0, lockouts = 0,"
                " locked_until = NULL", (digest, now))
            conn.execute("DELETE FROM parent_pin_failures")  # a new PIN ends every lockout
        await self.store.run_write(write)

    async def verify(self, pin: str | None, client: str | None = None) -> Verdict:
        """`client`: whose wrong PINs count (None: one shared counter, as before clients)."""
        async with self._verifying:
            row = await self._row()
            if row is None:
                return Verdict(False, "unset")
            now = self.clock()
            counter = row if client is None else await self._client_row(client)
            if client != CONSOLE and (counter["locked_until"] or 0) > now:
                return Verdict(False, "locked", counter["locked_until"], counter["failures"])
            if await asyncio.to_thread(self._matches, row["hash"], pin or ""):
                await self.store.run_write(lambda conn: _reset(conn, client))
                return Verdict(True, "ok")
            if client == CONSOLE:
                await asyncio.sleep(1.0)  # no lockout at the console, but no fast guessing either
                return Verdict(False, "wrong")
            return await self.store.run_write(lambda conn: _count_failure(conn, now, client))

    async def _client_row(self, client: str) -> dict:
        def read(conn):
            row = conn.execute("SELECT failures, lockouts, locked_until FROM parent_pin_failures"
                               " WHERE device = ?", (client,)).fetchone()
            return dict(row) if row else {"failures": 0, "lockouts": 0, "locked_until": None}
        return await self.store.run_read(read)

    async def lockouts(self) -> dict[str, float]:
        """Clients locked out now, with the time each lockout ends."""
        now = self.clock()
        rows = await self.store.run_read(lambda conn: conn.execute(
            "SELECT device, locked_until FROM parent_pin_failures WHERE locked_until > ?",
            (now,)).fetchall())
        return {row[0]: row[1] for row in rows}

    # -- the recovery code ------------------------------------------------------------------

    async def new_recovery_code(self) -> str:
        """A new code (the old one stops working); shown once, only its hash is kept."""
        code = "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(5)) for _ in range(4))
        digest = await asyncio.to_thread(self.hasher.hash, _normal(code))
        await self.store.run_write(lambda conn: conn.execute(
            "INSERT INTO parent_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value", (RECOVERY_KEY, digest)))
        return code

    async def recovery_matches(self, code: str | None) -> bool:
        row = await self.store.run_read(lambda conn: conn.execute(
            "SELECT value FROM parent_state WHERE key = ?", (RECOVERY_KEY,)).fetchone())
        if row is None or not code:
            return False
        return await asyncio.to_thread(self._matches, row[0], _normal(code))

    def _matches(self, digest: str, pin: str) -> bool:
        try:
            return self.hasher.verify(digest, pin)
        except (VerificationError, InvalidHashError):
            return False


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _reset(conn, client: str | None) -> None:
    if client is None:
        conn.execute("UPDATE parent_pin SET failures = 0, lockouts = 0, locked_until = NULL WHERE id = 1")
    else:
        conn.execute("DELETE FROM parent_pin_failures WHERE device = ?", (client,))


def _count_failure(conn, now: float, client: str | None = None) -> Verdict:
    if client is None:
        table, where, key = "parent_pin", "id = ?", 1
    else:
        conn.execute("INSERT OR IGNORE INTO parent_pin_failures (device) VALUES (?)", (client,))
        table, where, key = "parent_pin_failures", "device = ?", client
    failures, lockouts = conn.execute(
        f"SELECT failures + 1, lockouts FROM {table} WHERE {where}", (key,)).fetchone()
    if failures < MAX_FAILURES:
        conn.execute(f"UPDATE {table} SET failures = ? WHERE {where}", (failures, key))
        return Verdict(False, "wrong", None, failures)
    until = now + lockout_seconds(lockouts)
    conn.execute(f"UPDATE {table} SET failures = 0, lockouts = ?, locked_until = ? WHERE {where}",
                 (lockouts + 1, until, key))
    return Verdict(False, "locked", until, failures)
