"""The benchmark scripts still run against today's code (tiny sizes, nothing written, no
timing asserted): a rename in the package must not leave them broken until the next
measurement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus_support import corpus_dir

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> str:
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_engine_benchmark_runs():
    if not corpus_dir().is_dir() and not IN_CI:  # the corpus test's rule: required in CI only
        pytest.skip(f"no corpus at {corpus_dir()} (set FEEDLENS_CORPUS to its folder)")
    out = run("benchmarks/engine_bench.py", "--rounds", "1", "--no-write")
    assert "Rewrite ratio over all captures" in out and "twitter/" in out


def test_research_benchmark_runs():
    out = run("benchmarks/research_bench.py", "--items", "500", "--responses", "20", "--rounds", "1",
              "--repeat", "1", "--no-write")
    assert "|" in out  # its table


def test_runtime_benchmark_parts_run(tmp_path):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import runtime_bench
    finally:
        sys.path.remove(str(ROOT))
    from feedlens.addons import classify

    assert runtime_bench.ingest_rate(tmp_path, records=20, per_record=5) > 0
    saved = classify.OFFLOAD_MIN_BYTES, classify.Classify._transform
    try:
        for name, patch in runtime_bench.VARIANTS.items():  # the stall variants build the chain
            namespace: dict = {}
            exec(compile(runtime_bench.VARIANT.format(patch=patch), name, "exec"), namespace)
            assert len(namespace["addons"]) == 1
        assert classify.OFFLOAD_MIN_BYTES == 1 << 62 and classify.Classify._transform is not saved[1]
    finally:  # the patches changed the imported module: put it back for the other tests
        classify.OFFLOAD_MIN_BYTES, classify.Classify._transform = saved



def test_the_targets_table_says_met_or_missed_from_the_figures():
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.targets import targets_section
    finally:
        sys.path.remove(str(ROOT))
    engine = {"orjson_median": 1.8, "orjson_worst": 5.0}
    load = {"small feed c=32": {"rps": (100.0, 85.0, 0.85)}, "large feed c=1": {"rps": (10.0, 7.0, 0.7)},
            "large feed c=32": {"rps": (20.0, 10.0, 0.5)}, "burst feedlens": {"small_p99_ratio": 1.1},
            "idle_rss": {"plain": {"main": 100, "children": 0}, "feedlens": {"main": 120, "children": 40}}}
    store = {"items_per_s": 120_000.0, "added_p99_ms": 2.5}
    rows = {line.split(" | ")[0].lstrip("| "): line.rstrip(" |").rsplit(" | ", 1)[1]
            for line in targets_section(engine, load, store, "test machine").splitlines()
            if line.startswith("| ") and "measure" not in line}
    assert rows == {
        "engine rewrite / orjson loads+dumps, corpus median": "met",
        "engine rewrite / orjson loads+dumps, corpus worst": "missed",
        "small feed, 32 concurrent, throughput vs bare": "met",
        "large feed (≥ 256 KiB), throughput vs bare (worse of 1 and 32)": "missed",  # 0.5 at 32
        "small-request p99 during a feed burst vs bare": "met",
        "store ingest, items/s": "met",
        "store: event-loop lag p99 added during ingest": "missed",
        "idle RSS vs bare mitmdump (process tree)": "missed",  # 160 / 100
    }


def test_one_command_runs_every_benchmark_quickly():
    if not corpus_dir().is_dir() and not IN_CI:
        pytest.skip(f"no corpus at {corpus_dir()} (set FEEDLENS_CORPUS to its folder)")
    out = run("-m", "benchmarks", "--quick", "--no-write")
    for heading in ("## Issue 16: targets", "## Engine:", "## Store:", "Concurrent load"):
        assert heading in out


def test_study_benchmark_runs(pg_cluster):  # pg_cluster: skips without PostgreSQL (fails in CI)
    out = run("benchmarks/study_bench.py", "--participants", "3", "--batches", "2", "--records",
              "20", "--query-records", "500")
    assert "sustained records/s into PostgreSQL" in out and "p99" in out
