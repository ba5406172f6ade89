"""The item log's schema: versioned migrations of core's tables and of each feature's own
(registered through feedlens.hooks), and the connections the store and CLI readers open."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import hooks
from .sqlerrors import rollback


class StoreError(RuntimeError):
    pass


# Each entry upgrades the schema by one version (PRAGMA user_version); never edit a shipped one.
MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: responses seen and the items in them
        """CREATE TABLE responses (
            id INTEGER PRIMARY KEY, time REAL NOT NULL, platform TEXT, endpoint TEXT,
            surface TEXT, url TEXT, status INTEGER, changed INTEGER NOT NULL, error TEXT,
            item_count INTEGER NOT NULL)""",
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY, response_id INTEGER NOT NULL REFERENCES responses(id),
            time REAL NOT NULL, platform TEXT, endpoint TEXT, surface TEXT, position INTEGER,
            item_id TEXT, kind TEXT, author_id TEXT, author TEXT, title TEXT, provenance TEXT,
            reason TEXT, evidence TEXT, confidence REAL, rule TEXT, labels TEXT, decision TEXT,
            decision_rule TEXT)""",
        "CREATE INDEX responses_time ON responses(time)",
        "CREATE INDEX items_time ON items(time)",
        "CREATE INDEX items_mark ON items(platform, item_id, id)",
        "CREATE INDEX items_response ON items(response_id)",
    ),
]
MIGRATIONS.append((  # 2: versions of the feature modules' own tables (see migrate_component)
    "CREATE TABLE schema_components (name TEXT PRIMARY KEY, version INTEGER NOT NULL)",
))
MIGRATIONS.append((  # 3: composition counts per (platform, provenance) over time ranges
    "CREATE INDEX items_composition ON items(platform, provenance, time)",
))
MIGRATIONS.append((  # 4: which device a response went to (parents and minors: per-device counts)
    "ALTER TABLE responses ADD COLUMN device TEXT",
    "CREATE INDEX responses_device ON responses(device, time)",
))
MIGRATIONS.append((  # 5: what each item is (item_format.py, docs/format.md) and the adapter's signal
    # that decided it (static adapter text, never the item's); rows logged before stay NULL
    "ALTER TABLE items ADD COLUMN format TEXT",
    "ALTER TABLE items ADD COLUMN relation TEXT",
    "ALTER TABLE items ADD COLUMN duration_s INTEGER",
    "ALTER TABLE items ADD COLUMN format_why TEXT",
    "ALTER TABLE items ADD COLUMN relation_why TEXT",
    # provenance × format counts over time ranges, walked like items_composition
    "CREATE INDEX items_format ON items(platform, provenance, format, time)",
))
MIGRATIONS.append((  # 6: the rule pack whose adapter read each item, "name version" (layers.py);
    # rows logged before stay NULL (no pack was recorded then)
    "ALTER TABLE items ADD COLUMN pack TEXT",
))
SCHEMA_VERSION = len(MIGRATIONS)


def component_schemas() -> dict[str, list[tuple[str, ...]]]:
    """Each feature keeps its tables and their migrations beside its code and registers them
    (feedlens.hooks); the store knows none of them by name."""
    return hooks.store_tables()


def migrate(conn: sqlite3.Connection, migrations: list[tuple[str, ...]] | None = None) -> int:
    """Bring the schema up to date, one version per transaction; returns the version."""
    migrations = MIGRATIONS if migrations is None else migrations
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(migrations):
        raise StoreError(f"database schema version {current} is newer than this feedlens "
                         f"supports ({len(migrations)}); upgrade feedlens")
    _upgrade(conn, migrations, current,
             lambda version: conn.execute(f"PRAGMA user_version = {version}"))
    return len(migrations)


def migrate_component(conn: sqlite3.Connection, name: str,
                      migrations: list[tuple[str, ...]]) -> int:
    """Like migrate(), for one feature's tables, versioned in schema_components."""
    row = conn.execute("SELECT version FROM schema_components WHERE name = ?", (name,)).fetchone()
    current = row[0] if row else 0
    if current > len(migrations):
        raise StoreError(f"database tables of {name!r} are at version {current}, newer than this "
                         f"feedlens supports ({len(migrations)}); upgrade feedlens")
    _upgrade(conn, migrations, current, lambda version: conn.execute(
        "INSERT INTO schema_components (name, version) VALUES (?, ?) ON CONFLICT(name)"
        " DO UPDATE SET version = excluded.version", (name, version)))
    return len(migrations)


def _upgrade(conn: sqlite3.Connection, migrations: list[tuple[str, ...]], current: int,
             set_version: Callable[[int], Any]) -> None:
    """Apply the versions after `current`, each with its version number in one transaction."""
    for version in range(current + 1, len(migrations) + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migrations[version - 1]:
                conn.execute(statement)
            set_version(version)
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)  # only if SQLite has not; the real error is what is raised
            raise


def _migrate_all(conn: sqlite3.Connection, components: dict[str, list[tuple[str, ...]]]) -> None:
    migrate(conn)
    for name, migrations in components.items():
        migrate_component(conn, name, migrations)


def open_readonly(path: Path) -> sqlite3.Connection:
    """An existing item log for a command-line tool: read-only, never created, beside a running
    proxy (WAL lets it keep writing)."""
    conn = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    # isolation_level=None: we open transactions ourselves, so DDL in migrations is atomic too.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # The items' five indexes take most of an insert; with SQLite's default 2 MiB their
        # pages fall out of the cache between batches. Memory is taken only as pages are used.
        conn.execute("PRAGMA cache_size = -16384")
    return conn
