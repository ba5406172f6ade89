"""This feature's tables in the item log's SQLite file (see store.migrate_component).

- choice_tracks: the watchdog's state per (platform, choice, device): its epoch (a settings
  write seen on the wire starts the next), whether it is armed and to which state, the run of
  personalised observations, when the choice was last verified.
- choice_observations: what was read (the rule, its kind and sureness, the state, evidence:
  the field read and its value cut short, the method, host and path; never a cookie or token).
- choice_reverts: a confirmed revert or a suspected one, with the observations behind it.
- choice_tracks.declared/declared_at (3): the declaration the track's epoch holds it to, so a
  restart does not take the same declaration for a new one.
- choice_declarations: what the user says they chose, per platform and device ('*': every
  device), when they said it (declare.py).
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1
        """CREATE TABLE choice_tracks (
            platform TEXT NOT NULL, choice TEXT NOT NULL, device TEXT NOT NULL,
            epoch INTEGER NOT NULL DEFAULT 0, armed INTEGER NOT NULL DEFAULT 0,
            streak TEXT NOT NULL DEFAULT '[]', reverted INTEGER NOT NULL DEFAULT 0,
            suspected INTEGER NOT NULL DEFAULT 0, marker_armed INTEGER NOT NULL DEFAULT 0, last_state TEXT, last_verified REAL,
            last_seen REAL, PRIMARY KEY (platform, choice, device))""",
        """CREATE TABLE choice_observations (
            id INTEGER PRIMARY KEY, time REAL NOT NULL, platform TEXT NOT NULL,
            choice TEXT NOT NULL, device TEXT NOT NULL, epoch INTEGER NOT NULL, rule TEXT NOT NULL,
            kind TEXT NOT NULL, sure TEXT NOT NULL, state TEXT, evidence TEXT NOT NULL)""",
        "CREATE INDEX choice_observations_time ON choice_observations(platform, time)",
        """CREATE TABLE choice_reverts (
            id INTEGER PRIMARY KEY, time REAL NOT NULL, platform TEXT NOT NULL,
            choice TEXT NOT NULL, device TEXT NOT NULL, epoch INTEGER NOT NULL,
            sure TEXT NOT NULL, reason TEXT NOT NULL, evidence TEXT NOT NULL)""",
    ),
]
MIGRATIONS.append((  # 2: the user's own word (declare.py)
    """CREATE TABLE choice_declarations (
        platform TEXT NOT NULL, choice TEXT NOT NULL, device TEXT NOT NULL, state TEXT NOT NULL,
        time REAL NOT NULL, PRIMARY KEY (platform, choice, device))""",
))
MIGRATIONS.append((  # 3: the declaration each track holds to (track.declaration)
    "ALTER TABLE choice_tracks ADD COLUMN declared TEXT",
    "ALTER TABLE choice_tracks ADD COLUMN declared_at REAL",
))
