"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: the parent PIN with its failure counter and lockout, the audit log, small state
        """CREATE TABLE parent_pin (
            id INTEGER PRIMARY KEY CHECK (id = 1), hash TEXT NOT NULL, set_at REAL NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0, lockouts INTEGER NOT NULL DEFAULT 0,
            locked_until REAL)""",
        """CREATE TABLE parent_audit (
            id INTEGER PRIMARY KEY, time REAL NOT NULL, method TEXT, route TEXT NOT NULL,
            profile TEXT, device TEXT, outcome TEXT NOT NULL, detail TEXT)""",
        "CREATE INDEX parent_audit_time ON parent_audit(time)",
        "CREATE TABLE parent_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
]
MIGRATIONS.append((  # 2: the parent lock in the store (minors/lock.py): a copy of each locked
    # profile in use; wrong PINs counted per device (pin.py); the recovery code's hash is a
    # parent_state row
    """CREATE TABLE parent_locks (
        name TEXT PRIMARY KEY, text TEXT NOT NULL, sha256 TEXT NOT NULL, stored REAL NOT NULL)""",
    """CREATE TABLE parent_pin_failures (
        device TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,
        lockouts INTEGER NOT NULL DEFAULT 0, locked_until REAL)""",
))
MIGRATIONS.append((  # 3: household mode's device enrolment links (service/enrol.py): the link's
    # code only as its SHA-256, so a restart keeps the links a parent made; used_at: single use
    """CREATE TABLE parent_enrolments (
        code_hash TEXT PRIMARY KEY, name TEXT NOT NULL, profile TEXT NOT NULL,
        created REAL NOT NULL, expires REAL NOT NULL, used_at REAL)""",
))
