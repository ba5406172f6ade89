"""The soak's figures as a section of docs/benchmarks.md (benchmarks/soak.py --write)."""

from __future__ import annotations

import os
import platform

from benchmarks._report import machine, write_section


def versions() -> str:
    import brotli
    import mitmproxy.version
    import zstandard

    return (f"mitmproxy {mitmproxy.version.VERSION}, brotli {brotli.__version__}, "
            f"zstandard {zstandard.__version__}, {platform.system()} {platform.release()}")


def markdown(result: dict, args) -> str:
    health = result["health"]
    rows = [
        ("bodies sent through the add-on chain", f"{result['bodies']:,} (from {result['seeds']} fixture and corpus bodies)"),
        ("**exceptions escaping the add-ons**", f"**{result['escaping']}**"),
        ("**bodies changed that had to pass unchanged**", f"**{result['wrongly_changed']}** (of {result['must_pass']:,} that had to)"),
        ("**changed bodies no longer valid** (do not decode, or not strict JSON)", f"**{result['broken_rewrites']}**"),
        ("changed / passed unchanged", f"{result['changed']:,} / {result['unchanged']:,}"),
        ("health: feed responses processed", f"{health['feed_responses']:,} (of {health['responses_seen']:,} seen)"),
        ("health: responses changed", f"{health['responses_changed']:,}"),
        ("health: errors counted (fail open)", f"{health['errors']:,}: " + ", ".join(
            f"{k} {v:,}" for k, v in sorted(health['errors_by_adapter'].items()))),
        ("health: over the cap / streamed", f"{health['over_cap']:,} / {health['streamed']:,}"),
        ("bodies processed in a worker process", f"{health['offloaded']:,}"),
        ("peak RSS, proxy process", f"{result['rss_peak_mib']} MiB (at start {result['rss_start_mib']} MiB)"),
        ("peak RSS, largest worker process", f"{result['workers_rss_peak_mib']} MiB"),
        ("wall time", f"{result['wall_s']:,} s ({result['bodies'] / max(result['wall_s'], 0.001):,.0f} bodies/s); "
                      f"slowest body {result['slowest'][0]} s ({result['slowest'][1]})"),
    ]
    kinds = ", ".join(f"{k} {v:,}" for k, v in result["kinds"].items())
    return "\n".join([
        "## Soak: mutated feed bodies through the add-on chain",
        "",
        f"`python benchmarks/soak.py --count {args.count} --seed {args.seed} --profile {args.profile} --write`"
        f" ({machine()}, {os.cpu_count()} cores shared with other work; {versions()}). Issue 15, item 8: every fixture body (and the real captures"
        " when present) mutated in content (truncation, type swaps, deleted/renamed keys, huge arrays,"
        " nesting to 10,000 levels, invalid UTF-8, lone surrogates, UTF-16/BOM/latin-1/GBK, huge"
        " numbers, NaN/Infinity, JSONP wrappers) and in transport (wrong Content-Type, Content-Encoding"
        " lies, truncated gzip/deflate/br/zstd, bombs inflating past the 16 MiB cap, empty bodies),"
        " through the add-ons `mitmdump -s addons/feedlens.py` loads, with mitmproxy's hook dispatch,"
        " the real SQLite item log and worker processes. A body *had to pass unchanged* when its"
        " transport says so or a strict JSON parser refuses it; a changed body must decode and be"
        " strict JSON.",
        "",
        "| measure | result |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        f"Content mutations: {kinds}.",
        "",
        "Errors counted in health (each body passed unchanged; by kind): " + ", ".join(
            f"{k} {v:,}" for k, v in result["errors"].items()) + ".",
    ])


def write(text: str) -> None:
    write_section("soak", text)
