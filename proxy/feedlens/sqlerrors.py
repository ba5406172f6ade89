"""SQLite errors told as they are.

After some errors (a full disk, an I/O error, a busy lock) SQLite has already rolled the
transaction back itself; a ROLLBACK then fails with "cannot rollback - no transaction is
active", and raising that would replace the real error. rollback() only undoes what is still
open and never raises, so the real error reaches the log, health and the CLI.
"""

from __future__ import annotations

import contextlib
import sqlite3

# Errors of the machine, not of feedlens: the CLI reports them in one line, not a traceback.
ENVIRONMENT = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY,
                         sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
                         sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM})
DISK_FULL = "disk full: feedlens keeps browsing working and stops logging until there is space"


def rollback(conn: sqlite3.Connection, savepoint: str | None = None) -> None:
    """Undo the open transaction (or roll back to and release `savepoint`), if any is open."""
    if not conn.in_transaction:
        return
    with contextlib.suppress(sqlite3.Error):
        if savepoint:
            conn.execute(f"ROLLBACK TO {savepoint}")
            conn.execute(f"RELEASE {savepoint}")
        else:
            conn.execute("ROLLBACK")


def primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # extended codes keep the primary in the low byte


def is_environment(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and primary_code(exc) in ENVIRONMENT


def describe(exc: BaseException) -> str:
    """One line for health, the log and the CLI: the real error, and for a full disk what
    feedlens does about it."""
    if primary_code(exc) == sqlite3.SQLITE_FULL:
        return f"{DISK_FULL} ({exc})"
    return f"{type(exc).__name__}: {exc}"
