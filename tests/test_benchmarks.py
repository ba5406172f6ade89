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

