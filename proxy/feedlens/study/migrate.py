"""Schema migrations: the SQL files in migrations/, applied in the order of their numbers, each
once, each in its own transaction, recorded in schema_migrations. Never edit a shipped file:
add the next one. An advisory lock keeps two servers starting together from racing."""

from __future__ import annotations

import re
from importlib import resources

LOCK = 0x6665656473747564  # pg_advisory_lock key: any constant this server alone uses
NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every shipped migration, in order."""
    found = []
    for entry in resources.files("feedlens.study").joinpath("migrations").iterdir():
        match = NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"study migrations are not numbered 1..n: {versions}")
    return found


async def migrate(conn) -> list[int]:
    """Bring the database up to date; returns the versions applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version integer PRIMARY KEY, name text NOT NULL,"
                           " applied timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                   version, name)
            applied.append(version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK)


async def version(conn) -> int:
    return await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
