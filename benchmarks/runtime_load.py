"""The load half of the runtime benchmark (issue 16's table): plain mitmdump against feedlens at
1 and 32 concurrent connections for a small feed, a large feed and non-feed bodies; small
requests during a feed burst; idle and peak RSS (the proxy process and its children)."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._load import Load, load, load_during

RCMD = ("api.bilibili.com", "/x/web-interface/wbi/index/top/feed/rcmd?ps=12")
NONFEED = ("dl.feedlens.test", "/__small")
# The Bilibili web home fixture's card list repeated (tests/e2e/replay.py): 21 cards, ~25 KiB
# (a real home page is ~23 KiB), and 322 cards, ~376 KiB (as large as a Reddit front page).
BODIES = {
    "small feed": (*RCMD, {"x-replay-body": "large", "x-replay-size": "40000"}),
    "large feed": (*RCMD, {"x-replay-body": "large", "x-replay-size": str(512 << 10)}),
    "non-feed": (*NONFEED, {}),
}
CONCURRENCY = (1, 32)
BURST = 8  # connections pulling large feed pages back to back during the burst


def tree_rss(pid: int) -> int:
    """VmRSS of a process and its children (feedlens's engine workers), bytes."""
    total = _status(pid, "VmRSS")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += _status(int(child), "VmRSS")
    return total


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


def _status(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except FileNotFoundError:  # a child that just exited
        return 0
    raise KeyError(key)


class Peak:
    """Samples the RSS of each proxy's process tree every 50 ms in a thread, keeping the peak."""

    def __init__(self, pids: dict[str, int]):
        self.pids, self.peak = pids, {name: 0 for name in pids}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], tree_rss(pid))


@dataclass
class LoadResults:
    sizes: dict[str, int] = field(default_factory=dict)  # body kind -> bytes as sent
    # (body kind, concurrency) -> proxy name -> one Load per round
    runs: dict[tuple[str, int], dict[str, list[Load]]] = field(default_factory=dict)
    # proxy name -> (small-request Loads, burst Loads) per round
    burst: dict[str, tuple[list[Load], list[Load]]] = field(default_factory=dict)
    idle: dict[str, tuple[int, int]] = field(default_factory=dict)  # (main, children) bytes
    peak: dict[str, int] = field(default_factory=dict)


def idle_rss(ports: dict[str, int], pids: dict[str, int], ca: str) -> dict[str, tuple[int, int]]:
    """After start-up and a few small requests (a small feed, a non-feed body): no large feed."""
    for port in ports.values():
        for kind in ("small feed", "non-feed"):
            host, target, headers = BODIES[kind]
            load(port, host, target, headers, 1, 0.3, ca)
    time.sleep(1.0)
    return {name: (_status(pid, "VmRSS"), tree_rss(pid) - _status(pid, "VmRSS"))
            for name, pid in pids.items()}


def matrix(ports: dict[str, int], ca: str, rounds: int, seconds: float, res: LoadResults) -> None:
    """Every body kind at each concurrency, proxies back to back (order alternating per round)."""
    names = list(ports)
    for r in range(rounds):
        for kind, (host, target, headers) in BODIES.items():
            for conc in CONCURRENCY:
                for name in names if r % 2 else reversed(names):
                    run = load(ports[name], host, target, headers, conc, seconds, ca)
                    res.runs.setdefault((kind, conc), {}).setdefault(name, []).append(run)
                    if name == "plain":  # as sent by the server (feedlens may shorten it)
                        res.sizes[kind] = run.received // max(1, len(run.latencies))


def burst(ports: dict[str, int], ca: str, rounds: int, seconds: float, res: LoadResults) -> None:
    """Paced small non-feed requests on one connection while BURST others pull large feeds."""
    names = list(ports)
    big = BODIES["large feed"]
    for r in range(rounds):
        for name in names if r % 2 else reversed(names):
            small, heavy = load_during(ports[name], *BODIES["non-feed"], seconds, ca, (*big, BURST))
            smalls, heavies = res.burst.setdefault(name, ([], []))
            smalls.append(small)
            heavies.append(heavy)


# -- figures and the table -----------------------------------------------------------------------

def paired(runs: dict[str, list[Load]], name: str, of) -> tuple[float, float, float]:
    """(plain median, `name` median, median of per-round ratios name/plain) of `of(load)`."""
    plain, other = [of(x) for x in runs["plain"]], [of(x) for x in runs[name]]
    return (statistics.median(plain), statistics.median(other),
            statistics.median(o / p for p, o in zip(plain, other)))


def figures(res: LoadResults, name: str = "feedlens") -> dict:
    out: dict = {"sizes": res.sizes}
    for (kind, conc), runs in res.runs.items():
        out[f"{kind} c={conc}"] = {
            "rps": paired(runs, name, lambda x: x.rate),
            "p50_ms": paired(runs, name, lambda x: x.p50 * 1e3),
            "p99_ms": paired(runs, name, lambda x: x.quantile(0.99) * 1e3)}
    for proxy, (smalls, heavies) in res.burst.items():
        plain = [x.quantile(0.99) for x in res.burst["plain"][0]]
        p99 = [x.quantile(0.99) for x in smalls]
        out[f"burst {proxy}"] = {
            "small_p99_ms": statistics.median(p99) * 1e3,
            "small_p99_ratio": statistics.median(o / p for p, o in zip(plain, p99)),
            "small_p50_ms": statistics.median(x.p50 for x in smalls) * 1e3,
            "feed_pages_per_s": statistics.median(x.rate for x in heavies)}
    out["idle_rss"] = {k: {"main": m, "children": c} for k, (m, c) in res.idle.items()}
    out["peak_rss"] = dict(res.peak)
    return out


def table(res: LoadResults, seconds: float, rounds: int) -> list[str]:
    fig = figures(res)
    kib = {k: v / 1024 for k, v in res.sizes.items()}
    lines = [
        f"Concurrent load: {rounds} interleaved rounds of {seconds:g} s per cell; keep-alive HTTPS "
        f"connections from one asyncio client. Feeds: the Bilibili web home fixture's cards repeated, "
        f"small {kib['small feed']:.0f} KiB (21 cards), large {kib['large feed']:.0f} KiB (322 cards); "
        f"non-feed: {kib['non-feed']:.0f} KiB.",
        "",
        "| body | clients | plain req/s | feedlens req/s | throughput | p50 ms plain / feedlens (×) "
        "| p99 ms plain / feedlens (×) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in BODIES:
        for conc in CONCURRENCY:
            f = fig[f"{kind} c={conc}"]
            rps, p50, p99 = f["rps"], f["p50_ms"], f["p99_ms"]
            lines.append(f"| {kind} | {conc} | {rps[0]:.0f} | {rps[1]:.0f} | {rps[2]:.2f}× "
                         f"| {p50[0]:.2f} / {p50[1]:.2f} ({p50[2]:.2f}×) "
                         f"| {p99[0]:.2f} / {p99[1]:.2f} ({p99[2]:.2f}×) |")
    lines += ["", f"Small non-feed requests (one connection, one every 5 ms) while {BURST} other "
              "connections pull large feed pages back to back:", "",
              "| proxy | small p50 ms | small p99 ms | p99 vs plain | large feed pages/s |",
              "|---|---:|---:|---:|---:|"]
    for proxy in res.burst:
        b = fig[f"burst {proxy}"]
        lines.append(f"| {proxy} | {b['small_p50_ms']:.2f} | {b['small_p99_ms']:.2f} "
                     f"| {b['small_p99_ratio']:.2f}× | {b['feed_pages_per_s']:.0f} |")
    mib = 2 ** 20
    lines += ["", "| RSS, MiB | idle: main | idle: workers | idle total vs plain | peak (process tree) |",
              "|---|---:|---:|---:|---:|"]
    plain_idle = sum(res.idle["plain"])
    for proxy, (main, kids) in res.idle.items():
        lines.append(f"| {proxy} | {main / mib:.0f} | {kids / mib:.0f} | {(main + kids) / plain_idle:.2f}× "
                     f"| {res.peak.get(proxy, 0) / mib:.0f} |")
    return lines
