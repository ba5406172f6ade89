"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: devices and their profiles, feed time per local day, sessions, time requests, grants
        """CREATE TABLE minors_devices (
            name TEXT PRIMARY KEY, label TEXT, profile TEXT, source TEXT NOT NULL,
            first_seen REAL, last_seen REAL)""",
        """CREATE TABLE minors_usage (
            device TEXT NOT NULL, profile TEXT NOT NULL, day TEXT NOT NULL,
            seconds REAL NOT NULL, PRIMARY KEY (device, profile, day))""",
        """CREATE TABLE minors_sessions (
            device TEXT PRIMARY KEY, profile TEXT NOT NULL, started REAL NOT NULL,
            last REAL NOT NULL, rest_anchor REAL NOT NULL, items TEXT NOT NULL)""",
        """CREATE TABLE minors_time_requests (
            id INTEGER PRIMARY KEY, device TEXT NOT NULL, minutes INTEGER NOT NULL, note TEXT,
            created REAL NOT NULL, status TEXT NOT NULL, decided REAL, granted INTEGER)""",
        "CREATE INDEX minors_time_requests_status ON minors_time_requests(status, id)",
        """CREATE TABLE minors_grants (
            id INTEGER PRIMARY KEY, device TEXT NOT NULL, day TEXT NOT NULL,
            minutes INTEGER NOT NULL, created REAL NOT NULL, request_id INTEGER)""",
        "CREATE INDEX minors_grants_day ON minors_grants(day, device)",
    ),
    (  # 2: time per format (what the device's feed showed) per local day; each session's
        # formats on screen since its last response
        """CREATE TABLE minors_format_usage (
            device TEXT NOT NULL, format TEXT NOT NULL, day TEXT NOT NULL,
            seconds REAL NOT NULL, PRIMARY KEY (device, format, day))""",
        "ALTER TABLE minors_sessions ADD COLUMN formats TEXT NOT NULL DEFAULT '[]'",
    ),
]
