"""The parent lock kept in the store: which locked profile is active, and a copy of every locked
profile in use (its text and sha256).

A profile file says `locked: true`; once feedlens has loaded it, the store holds its text and
that copy is what runs: an edit of the file on disk (a child's `locked: false`, a corrupt or
deleted file) changes nothing until a parent confirms the file with the PIN. The name of the
active locked profile is kept too, so `feedlens run --profile other`, a saved choice or a
restart cannot leave it. Reloads (threads) and the proxy path read memory only; the store is
read and written by the async methods, from the runtime's start and its watcher.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import paths
from ..profiles import Profile, ProfileError, load_profile_text
from . import audit

log = logging.getLogger("feedlens")

ACTIVE_KEY = "locked_active"
STRICT = "minor-under-8"  # the strictest built-in profile: a locked one that cannot load runs as this
_LOCKED_LINE = re.compile(r"^locked:\s*(true|yes|on)\s*(#.*)?$", re.MULTILINE | re.IGNORECASE)


def says_locked(text: str | None) -> bool:
    """Whether a profile's text has a `locked: true` line (also when it is otherwise broken)."""
    return bool(text) and bool(_LOCKED_LINE.search(text))


def refusal(locked: str, wanted: str) -> str:
    return (f"profile {locked!r} is locked by the parent: {wanted!r} was not activated; leaving "
            f"it needs the parent PIN (`feedlens parent unlock`, or the dashboard)")


async def refuse_start(store, book: "LockBook", wanted: str) -> str | None:
    """At start: another profile asked for (`run --profile`, a saved choice) while one is locked
    stays out — said on stderr and in the log, and audited. Returns the refusal, if any."""
    if not book.active or wanted == book.active:
        return None
    refused = refusal(book.active, wanted)
    log.warning("feedlens: %s", refused)
    print(f"feedlens: {refused}", file=sys.stderr, flush=True)
    await audit.record(store, route="run_profile", outcome="refused_no_pin", profile=book.active,
                       detail=f"to {wanted}")
    return refused


def fallback_note(name: str, strict: str, errors: list[str]) -> str:
    return (f"locked profile {name!r} cannot be loaded; its devices use the strictest built-in "
            f"profile {strict!r} until a parent fixes it ({errors[0] if errors else 'no file'})")


@cache
def strict_profile() -> tuple[Profile, str]:
    """The bundled strict profile (never a user's copy of it, which could be the broken one)."""
    path = paths.profiles_dir(paths.bundled_rules_dir()) / f"{STRICT}.yaml"
    text = path.read_text(encoding="utf-8")
    return load_profile_text(text, path), text


def read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # gone or unreadable: a stored copy may stand in
        return None


def load_guarded(book: "LockBook", fallbacks: dict[str, str], name: str,
                 path: Path) -> tuple[Profile, str, list[str]]:
    """A profile through the parent lock: its stored copy when the file changed or is gone, the
    strictest built-in profile when a locked one cannot be loaded at all (never unfiltered); an
    unlocked one that fails raises ProfileError as before. Returns (profile, text, notes)."""
    file_text = read_or_none(path)
    text, note = book.text_for(name, file_text)
    try:
        if text is None:
            raise ProfileError([f"{path}:1: cannot read the file"])
        profile = load_profile_text(text, path)
    except ProfileError as exc:
        if not (book.is_locked(name) or says_locked(file_text)):
            raise
        strict, strict_text = strict_profile()
        fallbacks[name] = why = fallback_note(name, strict.name, exc.messages)
        return strict, strict_text, [*exc.messages, why]
    fallbacks.pop(name, None)
    if profile.locked:
        book.adopt(name, text)
    return profile, text, [note] if note else []


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Copy:
    text: str
    sha: str
    stored: float


class LockBook:
    def __init__(self):
        self.copies: dict[str, Copy] = {}
        self.active: str | None = None  # the locked profile the runtime must keep active
        self.pending: dict[str, str] = {}  # profile -> its file's state on disk: changed | deleted
        self._dirty: set[str] = set()
        self._active_dirty = False
        self._seen: tuple = ()  # what the store held at the last load/flush (the CLI may change it)

    # -- memory (any thread) ----------------------------------------------------------------

    def text_for(self, name: str, file_text: str | None) -> tuple[str | None, str | None]:
        """(text to compile, note): the stored copy when the file differs from it or is gone."""
        copy = self.copies.get(name)
        if copy is None:
            return file_text, None
        if file_text is not None and sha256(file_text) == copy.sha:
            self.pending.pop(name, None)
            return file_text, None
        state = "deleted" if file_text is None else "changed"
        self.pending[name] = state
        return copy.text, (f"the file of locked profile {name!r} was {state} on disk; its stored "
                           "copy stays in force until a parent confirms the file with the PIN")

    def adopt(self, name: str, text: str) -> None:
        """A locked profile loaded from its file for the first time: keep its copy."""
        if name not in self.copies:
            self.confirm(name, text)

    def confirm(self, name: str, text: str) -> None:
        self.copies[name] = Copy(text, sha256(text), time.time())
        self.pending.pop(name, None)
        self._dirty.add(name)

    def set_active(self, name: str | None) -> None:
        if name != self.active:
            self.active, self._active_dirty = name, True

    def is_locked(self, name: str | None) -> bool:
        return bool(name) and (name in self.copies or name == self.active)

    def summary(self) -> dict:
        return {"active": self.active, "profiles": sorted(self.copies),
                "pending": dict(self.pending)}

    def health(self, fallbacks: dict[str, str], refused: str | None) -> dict:
        """Red (`ok` false) while a locked file waits for the PIN or a profile runs the fallback."""
        return {**self.summary(), "fallbacks": dict(fallbacks), "refused": refused,
                "ok": not (fallbacks or self.pending)}

    # -- the store (async) ------------------------------------------------------------------

    async def load(self, store) -> bool:
        """Read the store; True when it differs from memory (a CLI command changed it)."""
        def read(conn):
            rows = conn.execute("SELECT name, text, sha256, stored FROM parent_locks").fetchall()
            active = conn.execute("SELECT value FROM parent_state WHERE key = ?",
                                  (ACTIVE_KEY,)).fetchone()
            return rows, active[0] if active else None
        rows, active = await store.run_read(read)
        seen = (tuple(sorted((r[0], r[2]) for r in rows)), active)
        if seen == self._seen:
            return False
        self._seen = seen
        unwritten = {n: self.copies[n] for n in self._dirty if n in self.copies}
        self.copies = {**{r[0]: Copy(r[1], r[2], r[3]) for r in rows}, **unwritten}
        if not self._active_dirty:
            self.active = active
        return True

    async def flush(self, store) -> None:
        """Write what changed in memory (adopted or confirmed copies, the active lock)."""
        if not self._dirty and not self._active_dirty:
            return
        dirty = {n: self.copies[n] for n in self._dirty if n in self.copies}
        active, active_dirty = self.active, self._active_dirty
        self._dirty, self._active_dirty = set(), False

        def write(conn):
            for name, copy in dirty.items():
                conn.execute("INSERT INTO parent_locks (name, text, sha256, stored) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (name) DO UPDATE SET text = excluded.text,"
                             " sha256 = excluded.sha256, stored = excluded.stored",
                             (name, copy.text, copy.sha, copy.stored))
            if active_dirty and active:
                conn.execute("INSERT INTO parent_state (key, value) VALUES (?, ?) ON CONFLICT (key)"
                             " DO UPDATE SET value = excluded.value", (ACTIVE_KEY, active))
            elif active_dirty:
                conn.execute("DELETE FROM parent_state WHERE key = ?", (ACTIVE_KEY,))
        try:
            await store.run_write(write)
        except BaseException:
            self._dirty |= set(dirty)
            self._active_dirty = self._active_dirty or active_dirty
            raise
        self._seen = (tuple(sorted((n, c.sha) for n, c in self.copies.items())), self.active)


# -- used by the CLI, which has no runtime: the store only -----------------------------------

async def stored_active(store) -> str | None:
    def read(conn):
        row = conn.execute("SELECT value FROM parent_state WHERE key = ?", (ACTIVE_KEY,)).fetchone()
        return row[0] if row else None
    return await store.run_read(read)


async def store_copy(store, name: str, text: str) -> None:
    copy = Copy(text, sha256(text), time.time())
    await store.run_write(lambda conn: conn.execute(
        "INSERT INTO parent_locks (name, text, sha256, stored) VALUES (?, ?, ?, ?) ON CONFLICT (name)"
        " DO UPDATE SET text = excluded.text, sha256 = excluded.sha256, stored = excluded.stored",
        (name, copy.text, copy.sha, copy.stored)))


async def clear_active(store) -> None:
    await store.run_write(lambda conn: conn.execute(
        "DELETE FROM parent_state WHERE key = ?", (ACTIVE_KEY,)))
