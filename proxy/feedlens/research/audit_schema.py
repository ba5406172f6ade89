"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.

The switch audit keeps only its sessions and the times the condition changed: which items
belong to which condition is derived from the items table by time window, so the audit
stores no item data of its own.

A session's condition comes from the participant's marks (`condition_from` 'manual') or from
the switch state the choice watchdog observed (`observed`, audit_observed.py); each switch
keeps its `source` ('manual' or 'observed') and, when observed, the rule and kind that read it.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: audit sessions and their condition switches
        """CREATE TABLE audit_sessions (
            id INTEGER PRIMARY KEY, platform TEXT NOT NULL, note TEXT,
            started REAL NOT NULL, finished REAL)""",
        """CREATE TABLE audit_switches (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES audit_sessions(id) ON DELETE CASCADE,
            time REAL NOT NULL, condition TEXT NOT NULL CHECK (condition IN ('on', 'off')))""",
        "CREATE INDEX audit_switches_session ON audit_switches(session_id, time)",
    ),
    (  # 2: a condition taken from the observed switch state, and where each switch came from
        "ALTER TABLE audit_sessions ADD COLUMN condition_from TEXT NOT NULL DEFAULT 'manual'",
        "ALTER TABLE audit_switches ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'",
        "ALTER TABLE audit_switches ADD COLUMN rule TEXT",
        "ALTER TABLE audit_switches ADD COLUMN kind TEXT",
        "CREATE INDEX audit_sessions_open ON audit_sessions(platform, finished)",
    ),
]
