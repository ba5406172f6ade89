"""Soak and fuzz at scale (issue 15, item 8): mutated feed bodies through the real add-on chain.

Every fixture body under rules/platforms/*.fixtures (and the real captures in ../shared/corpus
when present, read in place) is mutated (benchmarks/soak_mutations.py: truncation, type swaps,
deleted and renamed keys, huge arrays, nesting up to 10,000 levels, invalid UTF-8, UTF-16,
BOMs, latin-1, wrong Content-Type, Content-Encoding lies, truncated compression, gzip/deflate/
br/zstd bombs, empty bodies, huge numbers, NaN) and sent through the same add-on objects
`mitmdump -s addons/feedlens.py` loads (feedlens.run.load_addon), in process, with mitmproxy's
own hook dispatch (AddonManager.invoke_addon, which lets an exception through), the real
Runtime, SQLite item log, companion service and worker processes. Reported:

  escaping        exceptions out of any hook (must be 0)
  wrongly changed bodies that had to pass unchanged (not JSON by type or by a strict parse,
                  undecodable, over the cap, empty) but did not (must be 0)
  broken rewrites changed bodies that no longer decode or are no longer strict JSON (must be 0)
  processed, passed, health counters, peak RSS (proxy process and workers), wall time

Each body's mutation comes from random.Random(f"{seed}:{index}"): `--only INDEX` replays one.

    python benchmarks/soak.py [--count 100000] [--seed 15] [--profile minor-12-16] [--only N] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import gzip
import json
import random
import resource
import socket
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

import brotli
import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.soak_mutations import Mutant, Seed, mutate  # noqa: E402

SAMPLES = 5  # examples kept per kind of failure


# -- seeds --------------------------------------------------------------------------------------

def load_seeds(rules_dir: Path, corpus: Path | None) -> list[Seed]:
    from feedlens.fixtures import discover

    seeds = []
    cases, _ = discover(rules_dir / "platforms")
    for case in cases:
        request, path = case.request(), case.body_path()
        if path.exists():
            seeds.append(_seed(f"{case.platform}/{case.name}", request.method, request.url,
                               request.body, case.content_type(), path.read_bytes()))
    if corpus is not None and corpus.is_dir():
        from tests.corpus_support import expectations, load
        for name, spec in expectations().items():
            if (corpus / name).exists():
                capture = load(name, spec, corpus)
                request = capture.request()
                seeds.append(_seed(f"corpus/{name}", request.method, request.url, request.body,
                                   capture.content_type, capture.body))
    return seeds


def _seed(name, method, url, request_body, content_type, body: bytes) -> Seed:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None  # an HTML page: only byte-level and transport mutations
    return Seed(name, method, url, request_body, content_type, body, doc)


# -- what must happen ---------------------------------------------------------------------------

def _refuse(literal: str):
    raise ValueError(f"{literal} is not JSON")


def strict_json(decoded: bytes, content_type: str | None) -> bool:
    """RFC 8259 JSON text, an object or array, in the declared charset (UTF-8 without one)."""
    from feedlens.engine import charset_of

    charset = charset_of(content_type)
    try:
        doc = json.loads(decoded.decode(charset).removeprefix("\ufeff"), parse_constant=_refuse)
    except (ValueError, RecursionError, LookupError):
        return False
    return isinstance(doc, (dict, list))


def expect_unchanged(mutant: Mutant, seed: Seed) -> str | None:
    """Why this body must pass unchanged, or None when the proxy may rewrite it."""
    if mutant.must_pass:
        return mutant.must_pass
    if seed.doc is not None and not strict_json(mutant.decoded, mutant.content_type):
        return "not strict JSON"
    return None


def reference_decode(raw: bytes, encoding: str | None) -> bytes:
    """Independent of feedlens.bodies: the whole body as the standard libraries decode it."""
    name = (encoding or "").lower()
    if name == "gzip":
        return gzip.decompress(raw)
    if name == "deflate":
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return zlib.decompress(raw, -15)
    if name == "br":
        return brotli.decompress(raw)
    if name == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    return raw


def valid_rewrite(raw: bytes, mutant: Mutant, seed: Seed) -> bool:
    try:
        decoded = reference_decode(raw, mutant.content_encoding)
    except Exception:
        return False
    if seed.doc is None:  # a page: it must still be text in its charset
        from feedlens.engine import charset_of
        try:
            decoded.decode(charset_of(mutant.content_type))
        except (UnicodeDecodeError, LookupError):
            return False
        return True
    return strict_json(decoded, mutant.content_type)


# -- the run ------------------------------------------------------------------------------------

def _flow(seed: Seed, mutant: Mutant):
    from mitmproxy import http
    from mitmproxy.test import tflow

    headers = {"content-type": "application/json"} if seed.request_body else {}
    request = http.Request.make(seed.method, seed.url, seed.request_body or b"", headers)
    response = http.Response.make(200, b"", {})
    for name, value in (("content-type", mutant.content_type),
                        ("content-encoding", mutant.content_encoding)):
        if value is not None:
            response.headers[name] = value
    response.raw_content = mutant.raw
    response.headers["content-length"] = str(len(mutant.raw))
    return tflow.tflow(req=request), response


async def _hooks(addon, flow, response) -> list[BaseException]:
    """mitmproxy's order for one exchange; each hook's escaping exception is kept."""
    from mitmproxy import ctx
    from mitmproxy.proxy.layers.http import (HttpRequestHeadersHook, HttpRequestHook,
                                             HttpResponseHeadersHook, HttpResponseHook)
    escaped = []
    for hook in (HttpRequestHeadersHook, HttpRequestHook, HttpResponseHeadersHook, HttpResponseHook):
        if hook is HttpResponseHeadersHook:
            flow.response = flow.response or response
        try:
            await ctx.master.addons.invoke_addon(addon, hook(flow))
        except Exception as exc:  # what mitmproxy would log as an add-on error
            escaped.append(exc)
    return escaped


def _error_kind(error: str) -> str:
    """An outcome's error without its variable parts (offsets, sizes)."""
    text = error.partition(":")[2].strip()
    return " ".join(word for word in text.split()[:4] if not any(c.isdigit() for c in word))


class Tally:
    def __init__(self):
        self.kinds, self.changed_kinds, self.errors, self.samples = Counter(), Counter(), Counter(), {}
        self.escaping = self.wrongly_changed = self.broken = self.changed = self.unchanged = 0
        self.must_pass = 0
        self.slowest = (0.0, None)

    def note(self, what: str, index: int, detail: str) -> None:
        self.samples.setdefault(what, [])
        if len(self.samples[what]) < SAMPLES:
            self.samples[what].append(f"#{index}: {detail}")


async def run_bodies(addon, seeds: list[Seed], seed: int, count: int, only: int | None = None,
                     progress: bool = False) -> Tally:
    tally = Tally()
    for index in ([only] if only is not None else range(count)):
        rng = random.Random(f"{seed}:{index}")
        base = seeds[rng.randrange(len(seeds))]
        mutant = mutate(base, rng)
        why = expect_unchanged(mutant, base)
        tally.kinds[mutant.kind.split("/")[0].removesuffix("+charset")] += 1
        flow, response = _flow(base, mutant)
        started = time.perf_counter()
        escaped = await _hooks(addon, flow, response)
        took = time.perf_counter() - started
        tally.slowest = max(tally.slowest, (took, f"#{index} {base.name} {mutant.kind}"), key=lambda s: s[0])
        label = f"{base.name} {mutant.kind}"
        for exc in escaped:
            tally.escaping += 1
            tally.note("escaping", index, f"{label}: {type(exc).__name__}: {exc}"[:300])
        after = flow.response.raw_content
        changed = after != mutant.raw or flow.response.headers.get("content-encoding") != mutant.content_encoding
        tally.changed += changed
        content = mutant.kind.split("/")[0].removesuffix("+charset")
        tally.changed_kinds[content] += changed
        error = (flow.metadata.get("feedlens") or {}).get("error")
        if error:
            tally.errors[error.split(":")[0] + ": " + _error_kind(error)] += 1
        tally.unchanged += not changed
        tally.must_pass += why is not None
        if changed and why is not None:
            tally.wrongly_changed += 1
            tally.note("wrongly changed", index, f"{label}: {why}")
        elif changed and not valid_rewrite(after, mutant, base):
            tally.broken += 1
            tally.note("broken rewrite", index, label)
        if progress and index and index % 5000 == 0:
            print(f"  {index:>7} bodies, {tally.escaping} escaping, {tally.wrongly_changed} wrongly "
                  f"changed, {tally.broken} broken", flush=True)
    return tally


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def soak(count: int, seed: int = 15, profile: str = "minor-12-16", corpus: Path | None = None,
               only: int | None = None, progress: bool = False) -> dict:
    """Run `count` mutated bodies through a fresh add-on chain; the figures as a dict."""
    from mitmproxy.test import taddons

    from feedlens.run import load_addon

    rules = ROOT / "rules"
    seeds = load_seeds(rules, corpus)
    addon = load_addon()
    with tempfile.TemporaryDirectory(prefix="feedlens-soak-") as data, taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=data,
                       feedlens_profile=profile, feedlens_service_port=free_port())
        await tctx.master.addons.invoke_addon(addon, __import__("mitmproxy").hooks.RunningHook())
        await asyncio.sleep(0)
        while addon.runtime is None or addon.service is None:
            await asyncio.sleep(0.05)
        rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            tally = await run_bodies(addon, seeds, seed, count, only, progress)
            await addon.runtime.store.flush()
        finally:
            counters = addon.runtime.counters.snapshot()
            counters["offloaded"], counters["workers_hwm_kib"] = addon.offload.jobs_done, workers_hwm()
            await tctx.master.addons.invoke_addon(addon, __import__("mitmproxy").hooks.DoneHook())
        wall = time.perf_counter() - started
    return figures(tally, counters, seeds, wall, rss_start, count if only is None else 1)


def workers_hwm() -> list[int]:
    """Peak RSS (VmHWM, KiB) of each live child process: the worker pool."""
    peaks = []
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
    return peaks


def figures(tally: Tally, counters: dict, seeds: list[Seed], wall: float, rss_start: int, count: int) -> dict:
    keep = ("responses_seen", "feed_responses", "responses_changed", "items_marked", "items_hidden",
            "streamed", "over_cap", "errors", "errors_by_adapter", "offloaded")
    return {
        "bodies": count, "seeds": len(seeds), "escaping": tally.escaping,
        "wrongly_changed": tally.wrongly_changed, "broken_rewrites": tally.broken,
        "changed": tally.changed, "unchanged": tally.unchanged, "must_pass": tally.must_pass,
        "kinds": dict(tally.kinds.most_common()), "changed_kinds": dict(tally.changed_kinds.most_common()),
        "errors": dict(tally.errors.most_common()), "samples": tally.samples,
        "health": {key: counters[key] for key in keep},
        "wall_s": round(wall, 1), "slowest": (round(tally.slowest[0], 3), tally.slowest[1]),
        "rss_start_mib": rss_start // 1024,
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "workers_rss_peak_mib": max(counters["workers_hwm_kib"], default=0) // 1024,
    }


def main() -> int:
    from benchmarks.soak_report import markdown, write

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--profile", default="minor-12-16")
    parser.add_argument("--only", type=int, help="replay the body of this index only")
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    from tests.corpus_support import corpus_dir
    result = asyncio.run(soak(args.count, args.seed, args.profile, corpus_dir(), args.only, progress=True))
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.write:
        write(markdown(result, args))
    return 0 if not (result["escaping"] or result["wrongly_changed"] or result["broken_rewrites"]) else 1


if __name__ == "__main__":
    sys.exit(main())
