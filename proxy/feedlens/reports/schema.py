"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.

A report row, its evidence parts and its first attempt are written in one transaction before
the service answers, so nothing is sent to a platform that is not already on disk. Nothing
here is deleted by a failure; retention of the item log does not touch these tables.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: reports, their evidence bundles, and every hand-out of the prepared request
        """CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            client_request_id TEXT NOT NULL UNIQUE,  -- one report per click
            platform TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT NOT NULL,
            category TEXT NOT NULL,
            reason TEXT,             -- JSON {"code", "label"} of the platform's own reason, or NULL
            mode TEXT NOT NULL,      -- api | manual
            status TEXT NOT NULL,    -- stored submitted duplicate rate_limited failed manual
            message TEXT,            -- the last human-readable outcome
            page_url TEXT NOT NULL,
            created REAL NOT NULL,
            sent REAL,               -- when the prepared request was last handed to the browser
            answered REAL,           -- when the platform's answer came back
            answer_ms INTEGER,       -- answered - sent: time to the platform's answer
            attempts INTEGER NOT NULL DEFAULT 0,  -- answers recorded
            last_error TEXT,
            request TEXT NOT NULL    -- JSON of the prepared request, cookie placeholders unfilled
        )""",
        "CREATE INDEX reports_platform_created ON reports(platform, created)",
        "CREATE INDEX reports_status ON reports(status, id)",
        """CREATE TABLE report_parts (
            report_id INTEGER NOT NULL REFERENCES reports(id),
            position INTEGER NOT NULL,   -- bundle order (manifest.json last)
            name TEXT NOT NULL, media_type TEXT NOT NULL, sha256 TEXT NOT NULL,
            bytes BLOB NOT NULL,
            PRIMARY KEY (report_id, name))""",
        """CREATE TABLE report_attempts (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id),
            number INTEGER NOT NULL,     -- 1 = first hand-out, 2.. = retries
            time REAL NOT NULL,          -- handed to the browser
            answered REAL, http_status INTEGER,
            body TEXT,                   -- excerpt of the platform's answer
            error TEXT,
            status TEXT NOT NULL)        -- sent, then the interpreted outcome""",
        "CREATE INDEX report_attempts_report ON report_attempts(report_id, number)",
        "CREATE INDEX report_attempts_time ON report_attempts(time)",
    ),
]
