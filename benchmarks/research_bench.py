"""Research mode at scale: ingest with research on vs off, composition queries, exports.

Measured in one run, side by side:
  ingest       items/s into the SQLite item log (Store.submit + flush, 20 items per response:
               the Bilibili home fixture's items with fresh ids on every page), research off
               vs on, rounds interleaved
  composition  proxy.research.queries.composition over 1,000,000 items (30 days, day and hour
               buckets) against a plain GROUP BY over the same rows (the baseline)
  export       1,000,000 research records to Parquet, CSV and JSON Lines (feedlens export)

    python benchmarks/research_bench.py [--items 1000000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import machine, write_section  # noqa: E402
from feedlens.model import Item, Provenance  # noqa: E402
from feedlens.research import export, queries  # noqa: E402
from feedlens.research.recorder import INSERT, Research, record_rows  # noqa: E402
from feedlens.store import ITEM_COLUMNS, ResponseRecord, Store, item_row  # noqa: E402

PLATFORMS = ("bilibili", "youtube", "x", "reddit", "zhihu", "bluesky")
PROVENANCES = tuple(p.value for p in Provenance)
DAY = 86400.0
PER_RESPONSE = 20
FORMATS = ("short_video", "video", "image", "text", "article", "live")
RELATIONS = ("original", "repost", "reply", "quote")


def fixture_items() -> list[Item]:
    """The items the engine extracts from the Bilibili web home fixture, repeated to 20."""
    from feedlens import paths
    from feedlens import features
    from feedlens.adapters import load_adapters
    from feedlens.engine import Engine
    from tests.e2e.replay import served_cases
    features.install()  # the shipped adapters' report: sections, the features' tables

    case = next(c[6] for c in served_cases() if c[6].name == "web-home-recommend")
    items = Engine(load_adapters([paths.platforms_dir()])).process(
        case.request(), case.body_path().read_bytes()).items
    return (items * (PER_RESPONSE // len(items) + 1))[:PER_RESPONSE]


# ---- ingest ----------------------------------------------------------------------------------

def ingest_rate(path: Path, items: list[Item], responses: int, research: str) -> float:
    """items/s; research = off | ids (no raw field) | all (every raw field consented)."""
    async def run() -> float:
        store = Store(path, prune_interval=0)
        recorder = Research(store, path.parent / f"{path.stem}-data")
        await store.start()
        await recorder.start()
        if research != "off":
            fields = ["title", "text", "author_name", "url", "reason_text"] if research == "all" else []
            await recorder.enable("bench", "1", fields, 30)
        pages = [unique_ids(items, r) for r in range(responses)]
        started = time.perf_counter()
        for page in pages:
            store.submit(ResponseRecord(time=time.time(), platform="bilibili",
                                        endpoint="web-home-recommend", surface="home",
                                        url="https://api.bilibili.com/x/web-interface/index/top/feed/rcmd",
                                        status=200, changed=True, error=None, items=page))
            await asyncio.sleep(0)  # as on the proxy: the writer runs between responses
        await store.flush()
        elapsed = time.perf_counter() - started
        expected = responses * len(items) if research != "off" else 0
        state = await recorder.state()
        await store.close()
        assert state["records"] == expected, (state["records"], expected)
        return responses * len(items) / elapsed
    return asyncio.run(run())


def unique_ids(items: list[Item], page: int) -> list[Item]:
    """The fixture's items as a new page: fresh item ids, authors from a pool of 5,000."""
    return [dataclasses.replace(item, id=f"{item.id}-{page}", author_id=str((page * 7 + i) % 5000))
            for i, item in enumerate(items)]


def measure_ingest(work: Path, rounds: int, responses: int) -> dict[str, list[float]]:
    items = fixture_items()
    rates: dict[str, list[float]] = {"off": [], "ids": [], "all": []}
    for round_no in range(rounds):
        for mode in rates:  # interleaved, so drift on a noisy machine hits every mode alike
            path = work / f"ingest-{mode}-{round_no}.sqlite3"
            rates[mode].append(ingest_rate(path, items, responses, mode))
            path.unlink()
    return rates


# ---- a million rows ----------------------------------------------------------------------------

def synthetic_records(count: int, since: float, span: float, seed: int = 7):
    """ResponseRecords of 20 items spread evenly over [since, since + span)."""
    rng = random.Random(seed)
    responses = count // PER_RESPONSE
    for r in range(responses):
        platform = PLATFORMS[r % len(PLATFORMS)]
        items = [Item(platform=platform, endpoint="home", surface="home", position=i,
                      id=f"BV{rng.getrandbits(40):x}", kind="video",
                      provenance=Provenance(rng.choice(PROVENANCES)),
                      author_id=str(rng.randrange(20_000)), author=f"up{rng.randrange(20_000)}",
                      title=f"video title {r}-{i} 标题", rule="home#2",
                      format=rng.choice(FORMATS), relation=rng.choice(RELATIONS))
                 for i in range(PER_RESPONSE)]
        yield ResponseRecord(time=since + span * r / responses, platform=platform, endpoint="home",
                             surface="home", url="https://example.test/feed", status=200,
                             changed=False, error=None, items=items)


async def fill(path: Path, count: int, since: float, span: float) -> tuple[Store, Research, float]:
    """A store with `count` items and as many research records (title consented)."""
    store = Store(path, prune_interval=0, retention_days=0)
    research = Research(store, path.parent / "fill-data")
    await store.start()
    await research.enable("bench", "1", ["title"], 3650)
    started = time.perf_counter()
    batch: list[ResponseRecord] = []
    for record in synthetic_records(count, since, span):
        batch.append(record)
        if len(batch) == 2_500:
            await store.run_write(lambda conn, b=batch: _insert(conn, research, b))
            batch = []
    if batch:
        await store.run_write(lambda conn, b=batch: _insert(conn, research, b))
    return store, research, time.perf_counter() - started


def _insert(conn, research: Research, batch: list[ResponseRecord]) -> None:
    """The rows the store and the recorder would write, inserted without the queue."""
    written = []
    for record in batch:
        cursor = conn.execute("INSERT INTO responses (time, platform, endpoint, surface, url, status,"
                              " changed, item_count) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                              (record.time, record.platform, record.endpoint, record.surface,
                               record.url, record.status, len(record.items)))
        written.append((record, cursor.lastrowid))
    conn.executemany(f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(ITEM_COLUMNS))})",
                     [item_row(record, item, rid) for record, rid in written for item in record.items])
    conn.executemany(INSERT, record_rows(research._state, written))


async def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def group_by_baseline(store: Store, since: float, until: float, width: float):
    sql = ("SELECT CAST((time - ?) / ? AS INTEGER), platform, provenance, COUNT(*) FROM items"
           " WHERE time >= ? AND time < ? GROUP BY 1, 2, 3")
    return store.run_read(lambda conn: conn.execute(sql, (since, width, since, until)).fetchall())


def format_group_by(store: Store, since: float, until: float):
    sql = ("SELECT platform, provenance, format, COUNT(*) FROM items"
           " WHERE time >= ? AND time < ? GROUP BY 1, 2, 3")
    return store.run_read(lambda conn: conn.execute(sql, (since, until)).fetchall())


async def measure_queries(store: Store, since: float, until: float, repeat: int) -> dict:
    out = {}
    for bucket, width in (("day", DAY), ("hour", 3600.0)):
        rows = await queries.composition(store, since, until, bucket)
        assert sum(r["n"] for r in rows) > 0
        out[f"composition, {bucket} buckets"] = (
            await timed(lambda b=bucket: queries.composition(store, since, until, b), repeat),
            await timed(lambda w=width: group_by_baseline(store, since, until, w), repeat))
    out["composition of research records, day buckets"] = (
        await timed(lambda: queries.composition(store, since, until, "day", "research"), repeat), None)
    out["provenance × format"] = (
        await timed(lambda: queries.formats(store, since, until), repeat),
        await timed(lambda: format_group_by(store, since, until), repeat))
    out["shares"] = (await timed(lambda: queries.shares(store, since, until), repeat), None)
    out["top 20 sources"] = (await timed(lambda: queries.top_sources(store, since, until, 20), 1), None)
    return out


def measure_exports(db_path: Path, work: Path) -> dict[str, tuple[float, int, int]]:
    out = {}
    for fmt in ("parquet", "csv", "jsonl"):
        target = work / f"export.{fmt}"
        started = time.perf_counter()
        rows = export.export(db_path, fmt, target, progress_stream=io.StringIO())
        out[fmt] = (time.perf_counter() - started, rows, target.stat().st_size)
        target.unlink()
    return out


# ---- report ----------------------------------------------------------------------------------

def report(args, ingest, fill_seconds, query_times, exports) -> str:
    med = statistics.median
    off = med(ingest["off"])
    lines = [
        "## Research mode: ingest, composition queries, export",
        "",
        f"`python benchmarks/research_bench.py` — {machine()}. Ingest: {args.responses * PER_RESPONSE:,} "
        f"items per round ({PER_RESPONSE} per response: the Bilibili web home fixture's items with fresh "
        "ids on every page), "
        f"{args.rounds} rounds with the three modes interleaved, median; research records are "
        "written by the store's batch hook in the same transaction as the items. Queries and "
        f"exports: {args.items:,} items (and as many research records) over 30 days, 6 platforms, "
        f"7 provenances, 6 formats (filled in {fill_seconds:.0f} s); query times are the median of "
        f"{args.repeat} runs.",
        "",
        "| measure | value | baseline in the same run | target |",
        "|---|---:|---:|---|",
        f"| ingest, research off, items/s | {off:,.0f} | | ≥ 20,000 |",
        f"| ingest, research on (ids and categories), items/s | {med(ingest['ids']):,.0f} | "
        f"{med(ingest['ids']) / off:.2f}× of off | ≥ 20,000 |",
        f"| ingest, research on (every raw field consented), items/s | {med(ingest['all']):,.0f} | "
        f"{med(ingest['all']) / off:.2f}× of off | ≥ 20,000 |",
    ]
    for name, (ours, baseline) in query_times.items():
        target = "< 300 ms" if name.startswith(("composition", "provenance")) else ""
        base = f"{med(baseline):,.0f} ms (GROUP BY)" if baseline else ""
        lines.append(f"| {name}, {args.items:,} items, ms | {med(ours):,.0f} | {base} | {target} |")
    for fmt, (seconds, rows, size) in exports.items():
        target = "< 30 s" if fmt == "parquet" else ""
        name = {"parquet": "Parquet (zstd)", "csv": "CSV", "jsonl": "JSON Lines"}[fmt]
        lines.append(f"| export {rows:,} records to {name}, s ({size / 2**20:,.0f} MiB) | "
                     f"{seconds:.1f} | | {target} |")
    lines += [
        "",
        "The composition query walks the (platform, provenance, time) covering index once per "
        "distinct pair and bucket (each count is one index range); the baseline is the plain "
        "`GROUP BY bucket, platform, provenance` over the same time range, which makes SQLite "
        "sort every row. Provenance × format walks the (platform, provenance, format, time) index "
        "the same way, once per distinct triple, against the plain GROUP BY. `top sources` groups by author and sorts, with no index to help; it is "
        "a dashboard chart over a chosen period, not a hot path.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="rows for queries and exports")
    parser.add_argument("--responses", type=int, default=4_000, help="responses per ingest round")
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds per mode")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedlens-research-bench-") as tmp:
        work = Path(tmp)
        ingest = measure_ingest(work, args.rounds, args.responses)
        print("ingest items/s:", {k: [round(v) for v in vs] for k, vs in ingest.items()}, flush=True)

        async def big() -> tuple:
            until = time.time()
            since = until - 30 * DAY
            store, _, fill_seconds = await fill(work / "big.sqlite3", args.items, since, 30 * DAY)
            try:
                query_times = await measure_queries(store, since - 1, until + 1, args.repeat)
            finally:
                await store.close()
            return fill_seconds, query_times
        fill_seconds, query_times = asyncio.run(big())
        print("queries ms:", {k: round(statistics.median(v[0])) for k, v in query_times.items()},
              flush=True)
        exports = measure_exports(work / "big.sqlite3", work)
    text = report(args, ingest, fill_seconds, query_times, exports)
    print(text)
    if not args.no_write:
        write_section("research", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
