"""Feed-composition queries for the charts, the audit and the monthly report.

Every function reads through `store.run_read` (never blocks the event loop) and works on
either table:

- source="items": everything the proxy logged (the item log, kept `retention_days`);
- source="research": research records only (what the participant consented to record).

Times are unix seconds; ranges are [since, until). Buckets are calendar days or hours in the
machine's local time zone.

Speed: counting with GROUP BY over a time range makes SQLite sort every row (~600 ms for a
million). Instead the (platform, provenance, time) covering index is walked once per
distinct pair and bucket: each count is one index range, so a million items take tens of
milliseconds (benchmarks/research_bench.py measures it).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

from ..model import Provenance

SOURCES = {"items": ("items", "author_id", "author"),
           "research": ("research_records", "author_pid", "author_name")}
BUCKETS = ("day", "hour")
MAX_BUCKETS = 20_000
PROVENANCES = tuple(p.value for p in Provenance)

_COUNT_SQL = """SELECT b.key, (SELECT COUNT(*) FROM {table} WHERE platform IS ? AND provenance IS ?
    AND time >= json_extract(b.value, '$[0]') AND time < json_extract(b.value, '$[1]'))
    FROM json_each(?) AS b"""


async def composition(store, since: float, until: float, bucket: str = "day",
                      source: str = "items") -> list[dict]:
    """Item counts per bucket, platform and provenance, only non-zero ones, in bucket order.

    -> [{"bucket": "2026-11-22" (day) | "2026-11-22T14:00" (hour), "platform": str,
         "provenance": str, "n": int}, …]
    """
    table = _table(source)
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    return await store.run_read(lambda conn: _composition(conn, table, since, until, bucket))


async def shares(store, since: float, until: float, source: str = "items",
                 platform: str | None = None) -> list[dict]:
    """Each provenance's share of all items in the range (optionally of one platform).

    -> [{"provenance": str, "n": int, "share": float in 0..1}, …], largest first; [] if none.
    """
    table = _table(source)
    counts = await store.run_read(lambda conn: _pair_counts(conn, table, since, until))
    totals: dict[str, int] = {}
    for (pair_platform, provenance), n in counts.items():
        if platform is None or pair_platform == platform:
            totals[provenance] = totals.get(provenance, 0) + n
    total = sum(totals.values())
    rows = [{"provenance": p, "n": n, "share": n / total} for p, n in totals.items()]
    return sorted(rows, key=lambda row: (-row["n"], str(row["provenance"])))


async def formats(store, since: float, until: float, source: str = "items",
                  platform: str | None = None) -> list[dict]:
    """Item counts per platform, provenance and format in the range (optionally one platform).

    -> [{"platform": str, "provenance": str, "format": str | None, "n": int}, …], non-zero
    ones in that order; format is None for items logged before formats were (schema 5).
    Walks the (platform, provenance, format, time) index like composition: one range count
    per distinct triple.
    """
    table = _table(source)
    return await store.run_read(lambda conn: _format_counts(conn, table, since, until, platform))


def _format_counts(conn: sqlite3.Connection, table: str, since: float, until: float,
                   platform: str | None) -> list[dict]:
    sql = (f"SELECT COUNT(*) FROM {table} WHERE platform IS ? AND provenance IS ? AND format IS ?"
           " AND time >= ? AND time < ?")
    out = []
    for pair_platform, provenance in distinct_pairs(conn, table):
        if platform is not None and pair_platform != platform:
            continue
        for fmt in _distinct(conn, table, "format", "platform IS ? AND provenance IS ? AND",
                             (pair_platform, provenance)):
            n = conn.execute(sql, (pair_platform, provenance, fmt, since, until)).fetchone()[0]
            if n:
                out.append({"platform": pair_platform, "provenance": provenance, "format": fmt, "n": n})
    return out


async def top_sources(store, since: float, until: float, limit: int = 10,
                      source: str = "items") -> list[dict]:
    """The authors (accounts, channels) with the most items in the range.

    -> [{"platform": str, "author_id": str, "author": str | None, "n": int,
         "by_provenance": {provenance: n, …}}, …], most items first.
    For source="research", author_id is the pseudonym and author the name only if consented.
    """
    table, id_column, name_column = SOURCES[_checked_source(source)]
    sums = ", ".join(f"SUM(provenance = '{p}')" for p in PROVENANCES)
    sql = (f"SELECT platform, {id_column}, MAX({name_column}), COUNT(*) AS n, {sums} FROM {table}"
           f" WHERE time >= ? AND time < ? AND {id_column} IS NOT NULL"
           f" GROUP BY platform, {id_column} ORDER BY n DESC, platform, {id_column} LIMIT ?")

    def run(conn: sqlite3.Connection) -> list[dict]:
        return [{"platform": row[0], "author_id": row[1], "author": row[2], "n": row[3],
                 "by_provenance": {p: c for p, c in zip(PROVENANCES, row[4:]) if c}}
                for row in conn.execute(sql, (since, until, limit))]
    return await store.run_read(run)


# ---- helpers ---------------------------------------------------------------------------------

def _checked_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    return source


def _table(source: str) -> str:
    return SOURCES[_checked_source(source)][0]


def _composition(conn: sqlite3.Connection, table: str, since: float, until: float,
                 bucket: str) -> list[dict]:
    extent = _extent(conn, table, since, until)
    if extent is None:
        return []
    buckets = bucket_bounds(extent[0], extent[1], bucket)
    spans = json.dumps([[max(lo, since), min(hi, until)] for _, lo, hi in buckets])
    out: dict[tuple, int] = {}
    for platform, provenance in distinct_pairs(conn, table):
        for index, n in conn.execute(_COUNT_SQL.format(table=table), (platform, provenance, spans)):
            if n:
                key = (buckets[index][0], platform, provenance)  # DST fall-back repeats an hour label
                out[key] = out.get(key, 0) + n
    return [{"bucket": b, "platform": p, "provenance": v, "n": n}
            for (b, p, v), n in sorted(out.items(), key=lambda kv: tuple(map(str, kv[0])))]


def _pair_counts(conn: sqlite3.Connection, table: str, since: float,
                 until: float) -> dict[tuple, int]:
    spans = json.dumps([[since, until]])
    counts = {}
    for platform, provenance in distinct_pairs(conn, table):
        for _, n in conn.execute(_COUNT_SQL.format(table=table), (platform, provenance, spans)):
            if n:
                counts[(platform, provenance)] = n
    return counts


def _extent(conn: sqlite3.Connection, table: str, since: float,
            until: float) -> tuple[float, float] | None:
    """First and last item time inside [since, until): buckets only span what holds data."""
    first = conn.execute(f"SELECT MIN(time) FROM {table} WHERE time >= ? AND time < ?",
                         (since, until)).fetchone()[0]
    if first is None:
        return None
    last = conn.execute(f"SELECT MAX(time) FROM {table} WHERE time >= ? AND time < ?",
                        (since, until)).fetchone()[0]
    return first, last


def bucket_bounds(first: float, last: float, bucket: str) -> list[tuple[str, float, float]]:
    """Local calendar buckets [(label, start, end)] covering first..last inclusive."""
    moment = datetime.fromtimestamp(first)
    if bucket == "day":
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = moment.replace(minute=0, second=0, microsecond=0)
    out: list[tuple[str, float, float]] = []
    lo = start.timestamp()
    while lo <= last:
        if len(out) >= MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} {bucket} buckets; use a shorter range")
        if bucket == "day":
            label = start.strftime("%Y-%m-%d")
            start = datetime.combine(start.date() + timedelta(days=1), start.time())
            hi = start.timestamp()  # naive local midnight: DST days are 23 or 25 hours
        else:
            label = datetime.fromtimestamp(lo).strftime("%Y-%m-%dT%H:00")
            hi = lo + 3600
        out.append((label, lo, hi))
        lo = hi
    return out


def distinct_pairs(conn: sqlite3.Connection, table: str) -> list[tuple]:
    """Distinct (platform, provenance) by skipping through the composition index (few seeks)."""
    pairs = []
    for platform in _distinct(conn, table, "platform", "", ()):
        for provenance in _distinct(conn, table, "provenance", "platform IS ? AND", (platform,)):
            pairs.append((platform, provenance))
    return pairs


def _distinct(conn: sqlite3.Connection, table: str, column: str, prefix: str,
              params: tuple) -> list:
    """Distinct values of an indexed column, NULL first, one index seek per value."""
    base = f"SELECT {column} FROM {table} WHERE {prefix} {{}} ORDER BY {column} LIMIT 1"
    values: list = []
    row = conn.execute(base.format("1"), params).fetchone()
    while row is not None:
        values.append(row[0])
        if row[0] is None:
            row = conn.execute(base.format(f"{column} IS NOT NULL"), params).fetchone()
        else:
            row = conn.execute(base.format(f"{column} > ?"), (*params, row[0])).fetchone()
    return values
