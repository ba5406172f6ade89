"""Engine cost per corpus response against plain JSON parse + serialise of the same body.

For each capture, in interleaved rounds (so machine noise hits both sides alike):
  baseline  json.loads + json.dumps + encode of the body
  mark      engine.process with the mark-only profile (match, extract, classify; no rewrite)
  rewrite   engine.process with a profile that hides, reorders and prefixes titles
Also the time to decide that a URL is not a feed endpoint.

    python benchmarks/engine_bench.py [--rounds 30] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._report import machine, write_section  # noqa: E402
from feedlens import features, paths  # noqa: E402
from tests import corpus_support as corpus  # noqa: E402
from feedlens.adapters import load_adapters  # noqa: E402
from feedlens.engine import Engine  # noqa: E402
from feedlens.profiles import MARK_ONLY, compile_profile  # noqa: E402
from feedlens.yamlsrc import parse  # noqa: E402

features.install()  # shipped adapters have `report:` sections

REWRITE = compile_profile(parse("""title: bench
version: 1
mark: {title_prefix: all}
rules:
  - {id: ads, when: {provenance: promoted}, action: hide}
  - {id: rec, when: {provenance: personalized}, action: limit, max: 3}
  - {id: pop, when: {provenance: popular}, action: move_to_end}
  - {id: kw, when: {keywords: [抽奖, giveaway]}, action: blur}
""", "bench.yaml"))


def baseline(body: bytes) -> bytes:
    return json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()


def timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def measure(capture, engines, rounds: int) -> dict[str, float]:
    size = len(capture.body)
    repeat = max(1, int(200_000 / max(size, 1)))
    request = capture.request()
    runs = {"baseline": lambda: baseline(capture.body)}
    for name, engine in engines.items():
        runs[name] = lambda e=engine: e.process(request, capture.body, capture.content_type)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            samples[name].append(timed(fn, repeat))
    return {name: statistics.median(values) for name, values in samples.items()}


def route_cost(engine: Engine, rounds: int) -> tuple[float, float]:
    urls = [("GET", "www.example.com", "/static/app.js"), ("GET", "i.ytimg.com", "/vi/x/hq.jpg"),
            ("GET", "upos-sz-mirror.bilivideo.com", "/video/1.m4s"), ("GET", "x.com", "/home"),
            ("GET", "mastodon.social", "/api/v1/accounts/1")]
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(2000):
            for method, host, path in urls:
                engine.candidates(method, host, path)
        per_call.append((time.perf_counter() - start) / (2000 * len(urls)))
    return statistics.median(per_call) * 1e6, max(per_call) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not corpus.corpus_dir().is_dir():
        sys.exit(f"error: no corpus at {corpus.corpus_dir()} (set FEEDLENS_CORPUS to its folder)")
    adapters = load_adapters([paths.platforms_dir()])
    engines = {"mark": Engine(adapters, MARK_ONLY), "rewrite": Engine(adapters, REWRITE)}
    rows = ["| capture | KiB | items | parse+serialise ms | engine mark ms | × | engine rewrite ms | × |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    ratios, over = [], []
    for name, spec in sorted(corpus.expectations().items()):
        capture = corpus.load(name, spec)
        items = len(engines["mark"].process(capture.request(), capture.body, capture.content_type).items)
        m = measure(capture, engines, args.rounds)
        ratios.append(m["rewrite"] / m["baseline"])
        if ratios[-1] > 2:
            over.append(f"{name} ({len(capture.body) // 1024} KiB, {m['rewrite'] * 1e3:.2f} ms)")
        rows.append(f"| {name} | {len(capture.body) / 1024:.0f} | {items} | {m['baseline'] * 1e3:.3f} | "
                    f"{m['mark'] * 1e3:.3f} | {m['mark'] / m['baseline']:.2f} | {m['rewrite'] * 1e3:.3f} | "
                    f"{m['rewrite'] / m['baseline']:.2f} |")
        print(rows[-1], flush=True)
    median_us, worst_us = route_cost(engines["mark"], args.rounds)
    text = "\n".join([
        "## Engine: per-response cost against parse + serialise",
        "",
        f"`python benchmarks/engine_bench.py` — {machine()}; median of {args.rounds} interleaved rounds. "
        "The baseline is `json.loads` + `json.dumps` + encode of the same body (the JSON library the "
        "engine uses). *mark* is the default profile (the body is parsed, items marked, nothing "
        "re-serialised); *rewrite* hides ads, limits recommendations, moves popular items to the end "
        "and prefixes every item's visible text, so the body is always re-serialised. "
        "Target: engine ≤ 2× baseline.",
        "",
        *rows,
        "",
        f"Rewrite ratio over all captures: median {statistics.median(ratios):.2f}×, worst {max(ratios):.2f}×.",
        "",
        f"Above the 2× target ({len(over)} of {len(ratios)}): {', '.join(over) or 'none'}. "
        "These are small bodies with many items, where evaluating each item's rules (the X and "
        "Bilibili search adapters carry long ordered rule lists) costs more than parsing the few "
        "KiB around them; in absolute terms each stays near a millisecond. JMESPath ASTs are "
        "compiled into Python closures (feedlens/jmesfast.py) because the library's tree "
        "interpreter was ~80% of engine time in the first measurement (median ratio 2.6× before, "
        "as measured on this machine).",
        "",
        f"Deciding that a request is not a feed endpoint (router lookup, 5 typical non-feed URLs): "
        f"median {median_us:.2f} µs per request, slowest round {worst_us:.2f} µs (target < 5 µs).",
    ])
    print(text)
    if not args.no_write:
        write_section("engine", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
