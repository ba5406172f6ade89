"""When the item log cannot be written at all (a read-only or foreign data dir, a file that
cannot be created): the store runs on an in-memory copy, so browsing keeps working.

The copy starts as a snapshot of the file, if it can be read, so the settings kept in it (the
parent's lock and PIN, devices, subscriptions) still hold; nothing written to it outlives the
process, and the store logs no items meanwhile (health says why).
"""

from __future__ import annotations

import errno
import itertools
import sqlite3
from pathlib import Path
from urllib.parse import quote

from .sqlerrors import is_environment, rollback

LOGGING_OFF = "the data dir cannot be written: feedlens keeps browsing working and logs nothing"
_names = itertools.count()
# OSErrors of a data dir feedlens may not or cannot write; others are bugs and still raise.
_UNWRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.ENOENT, errno.ENOSPC}


def unwritable(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in _UNWRITABLE
    return is_environment(exc)


def why(exc: BaseException) -> str:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{LOGGING_OFF} ({type(exc).__name__}: {detail})"


def probe(conn: sqlite3.Connection) -> None:
    """Raises if `conn` cannot write (SQLite opens a read-only file read-only, silently)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        rollback(conn)


def memory_pair(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """(writer, reader) on one private in-memory database holding a copy of `path`."""
    uri = f"file:feedlens-memory-{next(_names)}?mode=memory&cache=shared"
    writer = _open(uri)
    _copy(path, writer)
    reader = _open(uri)
    reader.execute("PRAGMA read_uncommitted = ON")  # shared cache: do not wait on the writer
    reader.execute("PRAGMA query_only = ON")
    return writer, reader


def _open(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _copy(path: Path, target: sqlite3.Connection) -> None:
    # immutable: a read-only directory has no room for the -shm file a WAL reader needs
    try:
        source = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return
    try:
        source.backup(target)
    except sqlite3.Error:  # missing, unreadable or not a database: start empty
        pass
    finally:
        source.close()
