"""Runtime benchmark: plain mitmdump against mitmdump with feedlens, on the same replayed traffic.

One run starts the TLS replay server (tests/e2e/replay.py, the adapters' fixtures at their real
hostnames) and, side by side, `mitmdump` with only a resolve script ("plain") and `mitmdump -s
addons/feedlens.py` (no-ads profile). Both share one CA and the same flags (-q, streaming of
bodies over 1 MiB for plain; feedlens streams every non-feed body itself). Rounds interleave
the two so machine noise hits both alike. Measured:

  feed latency      every fixture response, sequential keep-alive requests: added median/p99
  non-feed          small responses (4 client threads) in req/s, and one large download in MB/s
  streaming memory  VmRSS sampled every 20 ms while one large body streams, minus idle VmRSS
  stall             p99 of small non-feed requests while another client pulls large feed pages,
                    for plain, feedlens (worker process for big bodies), and feedlens variants
                    that use a thread or the event loop instead
  ingest            items/s into the SQLite item log (in process, Store.submit + flush)

    python benchmarks/runtime_bench.py [--stream-mb 1024] [--rounds 5] [--seconds 4] [--feed-kb 1024] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._report import machine, write_section  # noqa: E402
from tests.e2e.replay import fixture_hosts, make_certs, served_cases  # noqa: E402

NONFEED_HOST = "dl.feedlens.test"
RCMD_URL = "https://api.bilibili.com/x/web-interface/wbi/index/top/feed/rcmd?ps=12"

RESOLVE_ONLY = '''
MAP = {mapping!r}

def server_connect(data):
    host = str(data.server.address[0]).lower()
    if host in MAP:
        data.server.sni = data.server.sni or host
        data.server.address = MAP[host]
'''
# Variants of the add-on for the stall measurement only (the shipped add-on is left as it is):
# they patch the Classify add-on's module before the chain is built.
VARIANT = '''
import asyncio
from feedlens.addons import classify as module
{patch}
from feedlens.addons import FeedLens
addons = [FeedLens()]
'''
INLINE = "module.OFFLOAD_MIN_BYTES = 1 << 62  # every body on the event loop"
THREAD = '''
async def _transform(self, state, flow):  # large bodies on a thread instead of a process
    r = flow.response
    args = (module.engine_request(flow), r.raw_content, r.headers.get("content-encoding"),
            r.headers.get("content-type"))
    if len(r.raw_content) >= module.OFFLOAD_MIN_BYTES:
        return await asyncio.to_thread(module.transform, state.engine, *args, profile=state.gated)
    return module.transform(state.engine, *args, profile=state.gated)
module.Classify._transform = _transform
'''
VARIANTS = {"feedlens-thread": THREAD, "feedlens-inline": INLINE}


# -- processes ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}: {proc.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


@dataclass
class Proxy:
    name: str
    port: int
    proc: subprocess.Popen
    ready_port: int  # the port that opens last (the service for feedlens)

    def rss(self) -> int:
        return _status(self.proc.pid, "VmRSS")


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def start_replay(stack: ExitStack, certs: Path) -> int:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "e2e" / "replay.py"), "--certs", str(certs)],
                            stdout=subprocess.PIPE, text=True)
    stack.callback(_stop, proc)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        raise RuntimeError(f"replay server did not start: {line!r}")
    return int(line.split()[1])


def start_mitmdump(stack: ExitStack, name: str, script: Path, common: list[str],
                   extra: list[str], ready_port: int | None = None) -> Proxy:
    port = free_port()
    mitmdump = Path(sys.executable).with_name("mitmdump")
    argv = [str(mitmdump), "-q", "-s", str(script), "--listen-host", "127.0.0.1",
            "--listen-port", str(port), *common, *extra]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    stack.callback(_stop, proc)
    wait_port(port, proc)
    if ready_port:
        wait_port(ready_port, proc)
    return Proxy(name, port, proc, ready_port or port)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_proxies(stack: ExitStack, work: Path, variants: bool) -> dict[str, Proxy]:
    hosts = fixture_hosts() + [NONFEED_HOST]
    make_certs(work / "certs", hosts)
    replay = start_replay(stack, work / "certs")
    mapping = {h: ("127.0.0.1", replay) for h in hosts}
    (work / "resolve_only.py").write_text(RESOLVE_ONLY.format(mapping=mapping))
    common = ["--set", f"confdir={work / 'mitmproxy'}",
              "--set", f"ssl_verify_upstream_trusted_ca={work / 'certs' / 'ca.pem'}"]
    resolve = [a for h in hosts for a in ("--set", f"feedlens_resolve={h}=127.0.0.1:{replay}")]
    proxies = {"plain": start_mitmdump(stack, "plain", work / "resolve_only.py", common,
                                       ["--set", "stream_large_bodies=1m"])}
    scripts = [("feedlens", ROOT / "addons" / "feedlens.py")]
    for name, patch in VARIANTS.items() if variants else ():
        script = work / f"{name}.py"
        script.write_text(VARIANT.format(patch=patch))
        scripts.append((name, script))
    for name, script in scripts:
        service = free_port()
        proxies[name] = start_mitmdump(stack, name, script, common, resolve + [
            # not work/"feedlens": mitmproxy puts the script's folder on sys.path, where a folder
            # of that name would shadow the (editable-installed) package as a namespace package
            "--set", f"feedlens_data_dir={work / ('data-' + name)}",
            "--set", f"feedlens_service_port={service}",
            "--set", "feedlens_profile=no-ads"], ready_port=service)
    return proxies


# -- a keep-alive HTTPS client through a proxy ------------------------------------------------------

class Client:
    def __init__(self, proxy: Proxy, ca: Path):
        self.proxy, self.context = proxy, ssl.create_default_context(cafile=str(ca))
        self.conns: dict[str, http.client.HTTPSConnection] = {}

    def _conn(self, host: str) -> http.client.HTTPSConnection:
        if host not in self.conns:
            conn = http.client.HTTPSConnection("127.0.0.1", self.proxy.port, context=self.context, timeout=120)
            conn.set_tunnel(host, 443)
            self.conns[host] = conn
        return self.conns[host]

    def get(self, url: str, *, method="GET", body=None, headers=None, sink=False) -> tuple[float, int]:
        """(seconds, bytes); `sink` reads in chunks without keeping the body."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection may have been closed by the proxy
            conn = self._conn(parts.hostname)
            started = time.perf_counter()
            try:
                conn.request(method, target, body=body, headers=headers or {})
                response = conn.getresponse()
                size = _drain(response) if sink else len(response.read())
                return time.perf_counter() - started, size
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                del self.conns[parts.hostname]
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _drain(response) -> int:
    size = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
    return size


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- measurements -------------------------------------------------------------------------------------

def feed_latency(proxies: list[Proxy], ca: Path, rounds: int) -> dict[str, list[float]]:
    cases = served_cases()
    clients = {p.name: Client(p, ca) for p in proxies}
    samples: dict[str, list[float]] = {p.name: [] for p in proxies}
    for r in range(rounds + 1):  # round 0 warms up connections and caches
        for case in cases:
            request = case[6].request()
            headers = {"content-type": request.content_type} if request.body else {}
            for proxy in proxies if r % 2 else reversed(proxies):
                seconds, _ = clients[proxy.name].get(case[6].data["url"], method=request.method,
                                                     body=request.body, headers=headers)
                if r:
                    samples[proxy.name].append(seconds)
    for client in clients.values():
        client.close()
    return samples


def small_throughput(proxy: Proxy, ca: Path, seconds: float, threads: int = 4) -> float:
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        client = Client(proxy, ca)
        while time.monotonic() < stop:
            client.get(f"https://{NONFEED_HOST}/__small")
            counts[i] += 1
        client.close()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / seconds


def stream(proxy: Proxy, ca: Path, size: int) -> tuple[float, int, int]:
    """(MB/s, idle RSS, peak RSS) while `size` bytes of a non-feed body stream through."""
    idle, peak, done = proxy.rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proxy.rss())
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    client = Client(proxy, ca)
    try:
        seconds, received = client.get(f"https://{NONFEED_HOST}/__big?size={size}", sink=True)
    finally:
        done.set()
        sampler.join()
        client.close()
    assert received == size, (received, size)
    return size / seconds / 1e6, idle, max(peak[0], proxy.rss())


def stall(proxy: Proxy, ca: Path, seconds: float, feed_bytes: int) -> tuple[float, float, float, int]:
    """Small-request p50/p99 (ms) while another client pulls large feed pages; and their median."""
    stop, big = threading.Event(), []
    headers = {"x-replay-body": "large", "x-replay-size": str(feed_bytes)}

    def puller() -> None:
        client = Client(proxy, ca)
        while not stop.is_set():
            big.append(client.get(RCMD_URL, headers=headers)[0])
        client.close()
    thread = threading.Thread(target=puller)
    thread.start()
    client, small = Client(proxy, ca), []
    client.get(f"https://{NONFEED_HOST}/__small")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        small.append(client.get(f"https://{NONFEED_HOST}/__small")[0])
        time.sleep(0.005)
    stop.set()
    thread.join()
    client.close()
    return (statistics.median(small) * 1e3, quantile(small, 0.99) * 1e3,
            statistics.median(big) * 1e3 if big else float("nan"), len(big))


def children_rss(proxy: Proxy) -> int:
    """RSS of the proxy's child processes (feedlens's engine workers)."""
    total = 0
    for task in Path(f"/proc/{proxy.proc.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            total += _status(int(pid), "VmRSS")
    return total


def ingest_rate(work: Path, records: int = 5000, per_record: int = 20) -> float:
    from feedlens import paths
    from feedlens import features
    from feedlens.adapters import load_adapters
    from feedlens.engine import Engine
    from feedlens.store import ResponseRecord, Store
    features.install()  # the shipped adapters' report: sections, the features' tables

    case = next(c[6] for c in served_cases() if c[6].name == "web-home-recommend")
    items = Engine(load_adapters([paths.platforms_dir()])).process(
        case.request(), case.body_path().read_bytes()).items
    batch = (items * (per_record // len(items) + 1))[:per_record]

    async def run() -> float:
        store = Store(work / "ingest.sqlite3")
        await store.start()
        started = time.perf_counter()
        for _ in range(records):
            store.submit(ResponseRecord(time=time.time(), platform="bilibili", endpoint="web-home-recommend",
                                        surface="home", url=case.data["url"], status=200, changed=True,
                                        error=None, items=batch))
            await asyncio.sleep(0)  # as on the proxy: the writer runs between responses
        await store.flush()
        elapsed = time.perf_counter() - started
        await store.close()
        return records * per_record / elapsed
    return asyncio.run(run())


# -- report --------------------------------------------------------------------------------------------

@dataclass
class Results:
    args: argparse.Namespace
    latency: dict[str, list[float]] = field(default_factory=dict)
    small: dict[str, list[float]] = field(default_factory=dict)
    mbps: dict[str, list[float]] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)  # worst peak above idle
    stalls: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    worker_rss: int = 0
    ingest: float = 0.0


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def ratio(res: Results, key: str) -> tuple[float, float, float]:
    """Medians of each side and the median of per-round ratios (rounds ran back to back, so
    the paired ratio cancels the machine's slow drifts)."""
    values = getattr(res, key)
    pairs = [f / p for p, f in zip(values["plain"], values["feedlens"])]
    return statistics.median(values["plain"]), statistics.median(values["feedlens"]), statistics.median(pairs)


def report(res: Results) -> str:
    plain, fl = res.latency["plain"], res.latency["feedlens"]
    small, mbps = ratio(res, "small"), ratio(res, "mbps")
    mem = {k: v / 2**20 for k, v in res.memory.items()}
    size = f"{res.args.stream_mb} MiB" if res.args.stream_mb < 1024 else f"{res.args.stream_mb / 1024:g} GiB"
    feed = f"{res.args.feed_kb} KiB" if res.args.feed_kb < 1024 else f"{res.args.feed_kb / 1024:g} MiB"
    lines = [
        "## Runtime: mitmdump with feedlens against plain mitmdump",
        "",
        f"`python benchmarks/runtime_bench.py` — {machine()}; mitmproxy {_mitmproxy_version()}. "
        f"HTTPS through each proxy from a local TLS replay server, rounds interleaved; {len(plain)} feed "
        f"responses per side ({res.args.rounds} rounds over every fixture, all platforms); feedlens runs "
        "the no-ads profile. Plain mitmdump streams bodies over 1 MiB (`stream_large_bodies=1m`). "
        "Ratios are medians of per-round ratios (each round runs both sides back to back).",
        "",
        "| measure | plain mitmdump | with feedlens | added / ratio | target |",
        "|---|---:|---:|---:|---|",
        f"| feed response latency, median ms | {ms(statistics.median(plain))} | {ms(statistics.median(fl))} "
        f"| {(statistics.median(fl) - statistics.median(plain)) * 1e3:+.2f} ms | |",
        f"| feed response latency, p99 ms | {ms(quantile(plain, .99))} | {ms(quantile(fl, .99))} "
        f"| {(quantile(fl, .99) - quantile(plain, .99)) * 1e3:+.2f} ms | |",
        f"| non-feed 2 KiB responses, req/s (4 clients, 9 rounds) | {small[0]:.0f} | {small[1]:.0f} "
        f"| {small[2]:.2f}× | ≥ 0.95× |",
        f"| non-feed {size} download, MB/s (3 rounds) | {mbps[0]:.0f} | {mbps[1]:.0f} "
        f"| {mbps[2]:.2f}× | ≥ 0.95× |",
        f"| peak RSS above idle while streaming {size}, MiB (worst of 3) | {mem['plain']:.1f} "
        f"| {mem['feedlens']:.1f} | | < 50 MiB |",
        f"| item-log ingest, items/s | | {res.ingest:,.0f} | | ≥ 20,000 |",
        "",
        f"Other traffic while another client pulls {feed} feed pages back to back (bilibili web home, "
        f"items repeated): latency of small non-feed requests through the same proxy.",
        "",
        f"| proxy | small request p50 ms | small request p99 ms | {feed} feed page median ms (pages) |",
        "|---|---:|---:|---:|",
    ]
    for name, (p50, p99, big, count) in res.stalls.items():
        lines.append(f"| {name} | {p50:.2f} | {p99:.2f} | {big:.0f} ({count}) |")
    lines += ["", "*feedlens* processes bodies of 64 KiB and more (as sent) in a worker process "
              f"(RSS {res.worker_rss / 2**20:.0f} MiB); the variants, patched by the benchmark only, "
              "process them on a thread (*feedlens-thread*: the GIL still stalls the event loop) or "
              "on the event loop itself (*feedlens-inline*)."]
    return "\n".join(lines)


def _mitmproxy_version() -> str:
    from mitmproxy import version
    return version.VERSION


# -- main -----------------------------------------------------------------------------------------------

def measure(args, work: Path, proxies: dict[str, Proxy]) -> Results:
    ca = work / "mitmproxy" / "mitmproxy-ca-cert.pem"
    pair = [proxies["plain"], proxies["feedlens"]]
    res = Results(args)
    print("feed latency ...", flush=True)
    res.latency = feed_latency(pair, ca, args.rounds)
    print("non-feed throughput ...", flush=True)
    res.small = {p.name: [] for p in pair}
    for r in range(9):
        for proxy in pair if r % 2 else reversed(pair):
            res.small[proxy.name].append(small_throughput(proxy, ca, args.seconds))
    print(f"streaming {args.stream_mb} MiB ...", flush=True)
    res.mbps, res.memory = {p.name: [] for p in pair}, {p.name: 0 for p in pair}
    for r in range(3):
        for proxy in pair if r % 2 else reversed(pair):
            mbps, idle, peak = stream(proxy, ca, args.stream_mb << 20)
            res.mbps[proxy.name].append(mbps)
            res.memory[proxy.name] = max(res.memory[proxy.name], peak - idle)
    print("stall ...", flush=True)
    for proxy in proxies.values():
        res.stalls[proxy.name] = stall(proxy, ca, args.seconds * 2.4, args.feed_kb << 10)
    res.worker_rss = children_rss(proxies["feedlens"])
    print("ingest ...", flush=True)
    res.ingest = ingest_rate(work)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-mb", type=int, default=1024, help="size of the streamed download")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over every fixture")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each throughput run")
    parser.add_argument("--feed-kb", type=int, default=1024, help="size of the large feed pages (stall)")
    parser.add_argument("--no-variants", action="store_true", help="skip the thread/inline variants")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feedlens-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        proxies = start_proxies(stack, work, variants=not args.no_variants)
        results = measure(args, work, proxies)
    text = report(results)
    print(text)
    if not args.no_write:
        write_section("runtime", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
