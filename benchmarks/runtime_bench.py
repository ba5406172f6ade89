"""Runtime benchmark: plain mitmdump against mitmdump with feedlens, on the same replayed traffic.

One run starts the TLS replay server (tests/e2e/replay.py, the adapters' fixtures at their real
hostnames) and, side by side, `mitmdump` with only a resolve script ("plain") and `mitmdump -s
addons/feedlens.py` (no-ads profile). Both share one CA and the same flags (-q, streaming of
bodies over 1 MiB for plain; feedlens streams every non-feed body itself). Rounds interleave
the two so machine noise hits both alike. Measured:

  load              small feed, large feed, non-feed bodies at 1 and 32 connections (asyncio
                    client, benchmarks/_load.py): req/s, p50, p99 against plain
  burst             p99 of paced small non-feed requests while 8 connections pull large feed pages,
                    for plain, feedlens (worker process for big bodies), and feedlens variants
                    that use a thread or the event loop instead
  RSS               idle (after start-up and a few small requests) and peak, process tree
  feed latency      every fixture response, sequential keep-alive requests: added median/p99
  streaming         one large non-feed download in MB/s; VmRSS above idle while it streams
  ingest            items/s into the SQLite item log (in process, Store.submit + flush)

    python benchmarks/runtime_bench.py [--stream-mb 1024] [--rounds 3] [--load-rounds 3] [--seconds 2.5] [--no-write]

The lead's runner calls run(args) (a dict of figures and the section's markdown).
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
from benchmarks.runtime_load import LoadResults, Peak, burst, figures, idle_rss, matrix, table  # noqa: E402
from tests.e2e.replay import fixture_hosts, make_certs, served_cases  # noqa: E402

NONFEED_HOST = "dl.feedlens.test"

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
        return await asyncio.to_thread(state.classifier.process_sent, *args, profile=state.gated)
    return state.classifier.process_sent(*args, profile=state.gated)
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
    mbps: dict[str, list[float]] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)  # worst peak above idle
    load: LoadResults = field(default_factory=LoadResults)
    ingest: float = 0.0


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def report(res: Results) -> str:
    plain, fl = res.latency["plain"], res.latency["feedlens"]
    pairs = [f / p for p, f in zip(res.mbps["plain"], res.mbps["feedlens"])]
    mbps = statistics.median(res.mbps["plain"]), statistics.median(res.mbps["feedlens"]), statistics.median(pairs)
    mem = {k: v / 2**20 for k, v in res.memory.items()}
    size = f"{res.args.stream_mb} MiB" if res.args.stream_mb < 1024 else f"{res.args.stream_mb / 1024:g} GiB"
    lines = [
        "## Runtime: mitmdump with feedlens against plain mitmdump",
        "",
        f"`python benchmarks/runtime_bench.py` — {machine()}; mitmproxy {_mitmproxy_version()}. "
        f"HTTPS through each proxy from a local TLS replay server, rounds interleaved; {len(plain)} feed "
        f"responses per side ({res.args.rounds} rounds over every fixture, all platforms); feedlens runs "
        "the no-ads profile. Plain mitmdump streams bodies over 1 MiB (`stream_large_bodies=1m`). "
        "Ratios are medians of per-round ratios (each round runs both sides back to back).",
        "",
        *table(res.load, res.args.seconds, res.args.load_rounds),
        "",
        "| measure | plain mitmdump | with feedlens | added / ratio |",
        "|---|---:|---:|---:|",
        f"| every fixture, sequential: latency median ms | {ms(statistics.median(plain))} "
        f"| {ms(statistics.median(fl))} | {(statistics.median(fl) - statistics.median(plain)) * 1e3:+.2f} ms |",
        f"| every fixture, sequential: latency p99 ms | {ms(quantile(plain, .99))} | {ms(quantile(fl, .99))} "
        f"| {(quantile(fl, .99) - quantile(plain, .99)) * 1e3:+.2f} ms |",
        f"| non-feed {size} download, MB/s (3 rounds) | {mbps[0]:.0f} | {mbps[1]:.0f} | {mbps[2]:.2f}× |",
        f"| peak RSS above idle while streaming {size}, MiB (worst of 3) | {mem['plain']:.1f} "
        f"| {mem['feedlens']:.1f} | |",
        f"| item-log ingest, items/s (in process) | | {res.ingest:,.0f} | |",
        "",
        "*feedlens* processes feed bodies of 64 KiB and more (as sent) in a worker process, started "
        "when the first such body arrives; the burst variants, patched by the benchmark only, process "
        "them on a thread (*feedlens-thread*: the GIL still stalls the event loop) or on the event "
        "loop itself (*feedlens-inline*).",
    ]
    return "\n".join(lines)


def _mitmproxy_version() -> str:
    from mitmproxy import version
    return version.VERSION


# -- main -----------------------------------------------------------------------------------------------

def measure(args, work: Path, proxies: dict[str, Proxy]) -> Results:
    ca = work / "mitmproxy" / "mitmproxy-ca-cert.pem"
    pair = [proxies["plain"], proxies["feedlens"]]
    ports = {p.name: p.port for p in pair}
    res = Results(args)
    print("idle RSS ...", flush=True)
    res.load.idle = idle_rss(ports, {p.name: p.proc.pid for p in pair}, str(ca))
    with Peak({p.name: p.proc.pid for p in pair}) as peak:
        print("load: small feed, large feed, non-feed at 1 and 32 connections ...", flush=True)
        matrix(ports, str(ca), args.load_rounds, args.seconds, res.load)
        print("burst ...", flush=True)
        burst({p.name: p.port for p in proxies.values()}, str(ca), args.load_rounds,
              args.seconds * 1.6, res.load)
    res.load.peak = peak.peak
    print("feed latency ...", flush=True)
    res.latency = feed_latency(pair, ca, args.rounds)
    print(f"streaming {args.stream_mb} MiB ...", flush=True)
    res.mbps, res.memory = {p.name: [] for p in pair}, {p.name: 0 for p in pair}
    for r in range(3):
        for proxy in pair if r % 2 else reversed(pair):
            mbps, idle, peak_rss = stream(proxy, ca, args.stream_mb << 20)
            res.mbps[proxy.name].append(mbps)
            res.memory[proxy.name] = max(res.memory[proxy.name], peak_rss - idle)
    print("ingest ...", flush=True)
    res.ingest = ingest_rate(work)
    return res


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-mb", type=int, default=1024, help="size of the streamed download")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every fixture")
    parser.add_argument("--load-rounds", type=int, default=3, help="rounds of the load matrix and burst")
    parser.add_argument("--seconds", type=float, default=2.5, help="length of each load cell")
    parser.add_argument("--no-variants", action="store_true", help="skip the thread/inline variants")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    return parser


def run(args: argparse.Namespace | None = None) -> dict:
    """One full run: {"markdown": the section's text, "figures": the load figures (ratios are
    medians of per-round feedlens/plain ratios), "latency_ms": ..., "ingest": items/s}.
    Writes nothing; main() writes docs/benchmarks.md."""
    args = args or parser().parse_args([])
    with tempfile.TemporaryDirectory(prefix="feedlens-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        proxies = start_proxies(stack, work, variants=not args.no_variants)
        results = measure(args, work, proxies)
    lat = {k: {"p50": statistics.median(v) * 1e3, "p99": quantile(v, .99) * 1e3}
           for k, v in results.latency.items()}
    return {"markdown": report(results), "figures": figures(results.load), "latency_ms": lat,
            "ingest": results.ingest}


def main() -> int:
    args = parser().parse_args()
    out = run(args)
    print(out["markdown"])
    if not args.no_write:
        write_section("runtime", out["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
