"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.

- research_consents: one row per consent given (study, consent version, the raw fields the
  participant allowed one by one, retention); `withdrawn` is set when research mode goes off.
- research_state: a single row; `consent_id` NULL means research mode is off.
- research_records: one row per feed item seen while research mode was on and not paused.
  Ids are pseudonyms (proxy/research/pseudonym.py); the raw columns (title, text,
  author_name, url, reason_text) stay NULL unless their field is in the record's consent;
  format and relation are the item's (feedlens.item_format), never text; pack is the rule
  pack whose adapter read the item, "name version" (feedlens.layers).
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1: consent, on/off/pause state, per-item records
        """CREATE TABLE research_consents (
            id INTEGER PRIMARY KEY, study_id TEXT NOT NULL, consent_version TEXT NOT NULL,
            fields TEXT NOT NULL, retention_days INTEGER NOT NULL, participant TEXT NOT NULL,
            created REAL NOT NULL, withdrawn REAL)""",
        """CREATE TABLE research_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            consent_id INTEGER REFERENCES research_consents(id),
            paused INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL)""",
        """CREATE TABLE research_records (
            id INTEGER PRIMARY KEY,
            consent_id INTEGER NOT NULL REFERENCES research_consents(id),
            time REAL NOT NULL, response_id INTEGER, platform TEXT, endpoint TEXT, surface TEXT,
            position INTEGER, kind TEXT, provenance TEXT, reason_category TEXT, decision TEXT,
            item_pid TEXT, author_pid TEXT,
            title TEXT, text TEXT, author_name TEXT, url TEXT, reason_text TEXT)""",
        "CREATE INDEX research_records_time ON research_records(time)",
        # Composition queries count per (platform, provenance) over time ranges: covering index.
        "CREATE INDEX research_records_composition ON research_records(platform, provenance, time)",
    ),
    (  # 2: what each item is (docs/format.md); records made before stay NULL
        "ALTER TABLE research_records ADD COLUMN format TEXT",
        "ALTER TABLE research_records ADD COLUMN relation TEXT",
        # provenance × format counts over time ranges, walked like research_records_composition
        "CREATE INDEX research_records_format ON research_records(platform, provenance, format, time)",
    ),
    (  # 3: the rule pack whose adapter decided (docs/adapters.md); records made before stay NULL
        "ALTER TABLE research_records ADD COLUMN pack TEXT",
    ),
    (  # 4: the choice watchdog's observations and reverts (research/choice_events.py)
        """CREATE TABLE research_choice_events (
            id INTEGER PRIMARY KEY,
            consent_id INTEGER NOT NULL REFERENCES research_consents(id),
            time REAL NOT NULL, platform TEXT NOT NULL, choice TEXT NOT NULL,
            event TEXT NOT NULL CHECK (event IN ('observation', 'revert')),
            rule TEXT, kind TEXT, sure TEXT, state TEXT, reason TEXT, epoch INTEGER,
            device_pid TEXT, evidence TEXT NOT NULL)""",
        "CREATE INDEX research_choice_events_time ON research_choice_events(time)",
    ),
]
