"""Every benchmark in one command, writing docs/benchmarks.md:

    python -m benchmarks [--quick]

Runs the engine benchmark (corpus: the engine against stdlib json and orjson), the runtime
benchmark (plain mitmdump against feedlens: load at 1 and 32 connections, small requests during
a feed burst, RSS) and the store benchmark (item-log ingest and event-loop lag), each measuring
its two sides in interleaved rounds, and puts issue 16's targets table on top: the figure this
run measured beside each target. Progress goes to stderr as each part runs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import engine_bench, runtime_bench, store_bench  # noqa: E402
from benchmarks._report import machine, write_section  # noqa: E402
from benchmarks.targets import targets_section  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run, not figures to publish")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args()
    started = time.monotonic()

    def step(name: str) -> None:
        print(f"[{time.monotonic() - started:6.0f} s] {name}", file=sys.stderr, flush=True)

    step("engine: corpus files against json and orjson")
    engine = engine_bench.run(rounds=5 if args.quick else 30)
    step("store: item-log ingest and event-loop lag")
    store = store_bench.run(rounds=1 if args.quick else 3, items=20_000 if args.quick else 100_000)
    step("runtime: plain mitmdump against feedlens")
    runtime_args = runtime_bench.parser().parse_args(
        ["--rounds", "1", "--load-rounds", "1", "--seconds", "1", "--stream-mb", "64", "--no-variants"]
        if args.quick else [])
    runtime = runtime_bench.run(runtime_args)
    step("writing")
    sections = {"targets": targets_section(engine, runtime["figures"], store, machine()),
                "engine": engine_bench.section(engine), "runtime": runtime["markdown"],
                "store": store_bench.section(store)}
    for name, text in sections.items():
        print(text, end="\n\n")
        if not args.no_write:
            write_section(name, text)
    step("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
