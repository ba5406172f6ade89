"""This feature's tables in the item log's SQLite file (see store.migrate_component).

Each entry upgrades the tables by one version; never edit a shipped one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = []
