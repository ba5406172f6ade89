"""The study server under load (issue 17): N simulated participants upload concurrently over
loopback into a throwaway PostgreSQL cluster (tests/pg_support.py), then the researcher's
composition query runs over a table bulk-loaded to --query-records rows across 30 days.

Reports sustained records/s into PostgreSQL, the median and p99 latency of one upload, and the
composition query's time. Prints a Markdown table; with --write, also into docs/benchmarks.md
(its study section).

    python benchmarks/study_bench.py [--participants 50] [--batches 10] [--records 1000]
                                     [--query-records 1000000] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import machine, write_section  # noqa: E402
from feedlens.study import ingest, migrate, view_time  # noqa: E402
from feedlens.study.app import make_app  # noqa: E402
from feedlens.study.config import Limits, ServerConfig  # noqa: E402
from feedlens.study.records import COLUMN_NAMES, day_of  # noqa: E402
from tests.pg_support import Cluster, binaries, free_port  # noqa: E402
from tests.study.support import ADMIN, TOKEN, record, signed, study_spec, upload_body  # noqa: E402

DAY = 86400.0
PLATFORMS = ("bilibili", "youtube", "x", "reddit", "zhihu", "bluesky")
PROVENANCES = ("followed", "personalized", "popular", "promoted", "search", "unknown")
SURFACES = ("home", "search", "related", "unclaimed")
COMPOSITION = ("SELECT day, platform, provenance, count(*), count(DISTINCT participant) FROM records"
               " WHERE study_id = $1 GROUP BY 1, 2, 3")


async def enrol(session, url: str, count: int) -> list[dict]:
    async with session.post(f"{url}/api/admin/studies", json=study_spec("bench"), headers=ADMIN) as r:
        assert r.status == 201, await r.text()
    async with session.post(f"{url}/api/admin/studies/bench/invitations", json={"count": count},
                            headers=ADMIN) as r:
        codes = (await r.json())["codes"]
    people = []
    for code in codes:
        async with session.post(f"{url}/api/enrol", json={"code": code, "consent_version": "1",
                                                          "fields": ["title"], "language": "en"}) as r:
            people.append(await r.json())
    return people


async def participant(session, url: str, who: dict, batches: int, size: int, latencies: list) -> None:
    now = time.time()
    for batch in range(batches):
        rows = [record(who, batch * size + n + 1, now - random.random() * 2 * DAY,
                       platform=random.choice(PLATFORMS), provenance=random.choice(PROVENANCES),
                       title=f"title {n}") for n in range(size)]
        body = upload_body(rows)
        started = time.perf_counter()
        async with session.post(f"{url}/api/upload", data=body,
                                headers=signed(who, "/api/upload", body)) as r:
            assert r.status == 200, await r.text()
        latencies.append(time.perf_counter() - started)


async def uploads(dsn: str, participants: int, batches: int, size: int) -> dict:
    import aiohttp
    from aiohttp import web

    limits = Limits(uploads_per_minute=1e9, upload_burst=10**9, max_records=max(size, 5000))
    port = free_port()
    config = ServerConfig(dsn=dsn, admin_token=TOKEN, port=port, pool_max=10, limits=limits)
    runner = web.AppRunner(make_app(config), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    try:
        connector = aiohttp.TCPConnector(limit=participants)
        async with aiohttp.ClientSession(connector=connector) as session:
            people = await enrol(session, url, participants)
            latencies: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(participant(session, url, who, batches, size, latencies)
                                   for who in people))
            elapsed = time.perf_counter() - started
    finally:
        await runner.cleanup()
    latencies.sort()
    return {"records_per_s": participants * batches * size / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}


async def composition(dsn: str, rows: int) -> dict:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await migrate.migrate(conn)
        now, chunk, loaded = time.time(), 200_000, 0
        await ingest.ensure_partitions(conn, {day_of(now - d * DAY) for d in range(31)})
        rng = random.Random(7)
        while loaded < rows:
            n = min(chunk, rows - loaded)
            batch = []
            for i in range(loaded, loaded + n):
                at = now - rng.random() * 30 * DAY
                values = dict.fromkeys(COLUMN_NAMES)
                values.update(study_id="q", participant=f"p{i % 10_000:05d}", record_id=i,
                              day=day_of(at), schema_version=4, consent_version="1", time=at,
                              platform=PLATFORMS[i % 6], provenance=PROVENANCES[(i * 7) % 6],
                              surface=SURFACES[(i * 5) % 4])
                batch.append(tuple(values[c] for c in COLUMN_NAMES))
            await conn.copy_records_to_table("records", records=batch, columns=COLUMN_NAMES)
            loaded += n
        await conn.execute("ANALYZE records")
        since = day_of(now - 31 * DAY)
        return {"rows": rows, "query_s": await _best(lambda: conn.fetch(COMPOSITION, "q")),
                # the admin page's: its charts (provenance, platform, surface per day, one
                # GROUPING SETS scan) and its data quality (packs, unknown/unclaimed rates)
                "view_s": await _best(lambda: _page(conn, since))}
    finally:
        await conn.close()


async def _page(conn, since) -> None:
    await view_time.composition(conn, "q", since)
    await view_time.quality(conn, "q")


async def _best(query, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await query()
        times.append(time.perf_counter() - started)
    return min(times)


def report(args, load: dict, query: dict) -> str:
    lines = [
        "## Study server (issue 17): uploads into PostgreSQL and the researcher's queries", "",
        f"`python benchmarks/study_bench.py --query-records {args.query_records} --write` — {machine()}; "
        "Debian's PostgreSQL in a throwaway cluster, the server and the simulated participants in one "
        "process over loopback (they share the two cores with PostgreSQL). Each upload is a signed gzip "
        "batch checked record by record against the consent, COPY into a staging table, then into the "
        "day partitions. The queries run over a table bulk-loaded across 30 days and 10,000 "
        "participants; best of three.", "",
        "| measure | value |", "|---|---|",
        f"| participants uploading at once | {args.participants} ({args.batches} uploads of "
        f"{args.records} records each) |",
        f"| sustained records/s into PostgreSQL | {load['records_per_s']:,.0f} |",
        f"| upload latency p50 / p99 | {load['p50_ms']:.0f} ms / {load['p99_ms']:.0f} ms |",
        f"| composition query over {query['rows']:,} records (30 days) | {query['query_s']:.2f} s |",
        f"| admin page's queries (composition per day by provenance, platform, surface; data "
        f"quality) over {query['rows']:,} records | {query['view_s']:.2f} s |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--records", type=int, default=1000, help="records per upload")
    parser.add_argument("--query-records", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true", help="write the study section of docs/benchmarks.md")
    args = parser.parse_args()
    bindir = binaries()
    if bindir is None:
        sys.exit("Debian's postgresql is not installed (/usr/lib/postgresql/*/bin)")
    cluster = Cluster(bindir).start()
    try:
        load = asyncio.run(uploads(cluster.create_database("bench"), args.participants,
                                   args.batches, args.records))
        query = asyncio.run(composition(cluster.create_database("query"), args.query_records))
    finally:
        cluster.stop()
    text = report(args, load, query)
    print(text)
    if args.write:
        write_section("study", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
