"""Item-log benchmark: ingest rate, and what writing costs the event loop.

Records are the engine's own output: every fixture case of every platform goes through the
engine once, and each feed response's items become a page (fresh item ids per page, so the
indexes grow as on a real proxy). A burst submits pages back to back, as fast as the loop
turns (one `await asyncio.sleep(0)` between responses, as the proxy's add-on chain would),
then waits for `flush()`; items/s is over that whole span.

Event-loop lag: a ticker coroutine sleeps 1 ms again and again and records how late it wakes;
p50/p99/max while the store is idle, then while a burst is written. Added lag = burst - idle.
Each round starts after a full garbage collection (making the records is the benchmark's
work); collections the burst itself causes, in either thread, count.

    python benchmarks/store_bench.py [--rounds 3] [--items 100000]

`run(rounds, items)` returns the figures as a dict, for a one-command runner.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICK = 0.001


def fixture_pages() -> list[list]:
    """Each feed response's items, one list per fixture case the engine reads."""
    from feedlens import features, paths
    from feedlens.adapters import load_adapters
    from feedlens.engine import Engine
    from tests.e2e.replay import served_cases
    features.install()  # the shipped adapters' report: sections, the features' tables

    engine = Engine(load_adapters([paths.platforms_dir()]))
    pages = []
    for case in (c[6] for c in served_cases()):
        outcome = engine.process(case.request(), case.body_path().read_bytes())
        if outcome.is_feed and outcome.items:
            pages.append(outcome.items)
    return pages


def records(pages: list[list], items: int) -> list:
    """ResponseRecords cycling over the fixture pages until `items` items, fresh ids per page."""
    from feedlens.store import ResponseRecord
    out, total, n = [], 0, 0
    while total < items:
        page = pages[n % len(pages)]
        fresh = [dataclasses.replace(item, id=f"{item.id}-{n}") for item in page]
        first = fresh[0]
        out.append(ResponseRecord(time=time.time(), platform=first.platform, endpoint=first.endpoint,
                                  surface=first.surface, url=f"https://{first.platform}.test/feed",
                                  status=200, changed=True, error=None, items=fresh))
        total, n = total + len(fresh), n + 1
    return out


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(TICK)
        lags.append(loop.time() - started - TICK)


async def _idle(seconds: float) -> list[float]:
    lags: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task
    return lags


async def _burst(store, batch: list) -> tuple[float, list[float]]:
    lags: list[float] = []
    stop = asyncio.Event()
    task = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(0.05)  # the ticker is running before the first response
    started = time.perf_counter()
    for record in batch:
        store.submit(record)
        await asyncio.sleep(0)
    await store.flush()
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    return elapsed, lags


def one_round(path: Path, batch: list, store_class=None) -> dict:
    """Idle lag for a second, then one burst; `store_class`: another Store to compare with."""
    from feedlens.store import Store
    store_class = store_class or Store

    async def go() -> dict:
        gc.collect()  # the benchmark's own garbage (making the records) is not the store's
        store = store_class(path, prune_interval=0)
        await store.start()
        try:
            idle = await _idle(1.0)
            elapsed, busy = await _burst(store, batch)
            written = store.counts["items"]
        finally:
            await store.close()
        return {"items_per_s": written / elapsed, "idle": idle, "burst": busy}
    return asyncio.run(go())


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _lag(values: list[float]) -> dict:
    return {"p50_ms": quantile(values, 0.5) * 1e3, "p99_ms": quantile(values, 0.99) * 1e3,
            "max_ms": max(values) * 1e3}


def run(rounds: int = 3, items: int = 100_000) -> dict:
    """Median items/s over rounds; lag quantiles over all rounds' ticks, idle and during bursts."""
    pages = fixture_pages()
    batches = [records(pages, items) for _ in range(rounds)]
    rates, idle, burst = [], [], []
    with tempfile.TemporaryDirectory(prefix="feedlens-store-bench-") as tmp:
        for n, batch in enumerate(batches):
            result = one_round(Path(tmp) / f"round{n}.sqlite3", batch)
            rates.append(result["items_per_s"])
            idle += result["idle"]
            burst += result["burst"]
    idle_lag, burst_lag = _lag(idle), _lag(burst)
    return {"rounds": rounds, "items": sum(len(r.items) for r in batches[0]),
            "responses": len(batches[0]), "items_per_s": statistics.median(rates),
            "items_per_s_min": min(rates), "items_per_s_max": max(rates),
            "idle": idle_lag, "burst": burst_lag,
            "added_p99_ms": burst_lag["p99_ms"] - idle_lag["p99_ms"]}


def report(figures: dict) -> str:
    idle, burst = figures["idle"], figures["burst"]
    return "\n".join([
        f"item log: {figures['items']:,} items in {figures['responses']:,} responses per burst, "
        f"{figures['rounds']} rounds",
        f"ingest, items/s (median; min-max): {figures['items_per_s']:,.0f} "
        f"({figures['items_per_s_min']:,.0f}-{figures['items_per_s_max']:,.0f})",
        "event-loop lag, ms: p50 / p99 / max",
        f"  idle  {idle['p50_ms']:.2f} / {idle['p99_ms']:.2f} / {idle['max_ms']:.2f}",
        f"  burst {burst['p50_ms']:.2f} / {burst['p99_ms']:.2f} / {burst['max_ms']:.2f}",
        f"  added p99 {figures['added_p99_ms']:+.2f}",
    ])


def section(figures: dict) -> str:
    """The docs/benchmarks.md section (`python -m benchmarks`)."""
    return "\n".join([
        "## Store: item-log ingest and event-loop lag", "",
        "`python benchmarks/store_bench.py` — bursts of item-log records made by running the engine "
        "over every adapter fixture (fresh item ids per page) into a real SQLite file, while a "
        "ticker coroutine measures how late the event loop wakes it (idle, then during the burst). "
        "Rows are built and written on the store's writer thread in slices of 128 items.", "",
        "```", report(figures), "```"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=100_000, help="items per burst")
    args = parser.parse_args()
    print(report(run(args.rounds, args.items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
