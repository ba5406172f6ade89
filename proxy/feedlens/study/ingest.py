"""Records into PostgreSQL: COPY into a temporary staging table, then one INSERT … ON CONFLICT
DO NOTHING into the day-partitioned records table, so an upload sent twice (a retry after a lost
answer) adds nothing the second time. Day partitions are made on first use, under an advisory
lock per day so that two uploads making the same day do not race."""

from __future__ import annotations

from datetime import date, timedelta

from .records import COLUMN_NAMES

_COLUMNS = ", ".join(COLUMN_NAMES)
STAGING = "records_staging"


def partition_name(day: date) -> str:
    return f"records_{day:%Y%m%d}"


async def ensure_partitions(conn, days) -> None:
    for day in sorted(set(days)):
        name = partition_name(day)
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
            continue
        # A session lock, outside any transaction: each statement after it starts afresh and so
        # sees the partition another upload just made (a transaction would keep stale catalogs).
        await conn.execute("SELECT pg_advisory_lock($1)", day.toordinal())
        try:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF records FOR VALUES FROM"
                f" ('{day.isoformat()}') TO ('{(day + timedelta(days=1)).isoformat()}')")
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", day.toordinal())


async def insert(conn, study_id: str, participant: str, rows: list[tuple]) -> int:
    """Take the rows (records.check's); returns how many were new. Updates the participant's
    last upload in the same transaction."""
    await ensure_partitions(conn, (row[COLUMN_NAMES.index("day")] for row in rows))
    async with conn.transaction():
        await conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING}"
                           " (LIKE records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        if rows:
            await conn.copy_records_to_table(STAGING, records=rows, columns=COLUMN_NAMES)
        status = await conn.execute(
            f"INSERT INTO records ({_COLUMNS}) SELECT {_COLUMNS} FROM {STAGING}"
            " ON CONFLICT DO NOTHING")
        await conn.execute("UPDATE participants SET last_upload = now(), uploads = uploads + 1"
                           " WHERE study_id = $1 AND id = $2", study_id, participant)
    return int(status.rsplit(" ", 1)[-1])
