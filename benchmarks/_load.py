"""A light asyncio HTTPS load client through a proxy (CONNECT, then TLS, keep-alive), for the
runtime benchmark: many concurrent connections from one thread, so the client's own cost stays
small next to the proxy's (a thread per connection spends the client's core on the GIL)."""

from __future__ import annotations

import asyncio
import ssl
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Load:
    """What one run of `concurrency` connections measured."""

    seconds: float
    latencies: list[float] = field(default_factory=list)  # per request, seconds
    received: int = 0  # body bytes

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


class Connection:
    """One keep-alive HTTPS connection to `host` through the proxy at 127.0.0.1:`port`."""

    def __init__(self, port: int, host: str, context: ssl.SSLContext):
        self.port, self.host, self.context = port, host, context
        self.reader = self.writer = None

    async def open(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"CONNECT {self.host}:443 HTTP/1.1\r\nHost: {self.host}:443\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200" not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head[:200])
        await writer.start_tls(self.context, server_hostname=self.host)
        self.reader, self.writer = reader, writer

    async def get(self, target: str, headers: dict[str, str]) -> int:
        """The body's length; the connection stays open for the next request."""
        if self.writer is None:
            await self.open()
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host}", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ConnectionError(f"no content-length: {head[:200]!r}")
        await self.reader.readexactly(length)
        return length

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(port: int, url_host: str, target: str, headers: dict, concurrency: int,
                seconds: float, context: ssl.SSLContext, pace: float = 0.0) -> Load:
    result = Load(seconds)
    conns = [Connection(port, url_host, context) for _ in range(concurrency)]
    await asyncio.gather(*(c.get(target, headers) for c in conns))  # open and warm each connection
    stop = time.perf_counter() + seconds

    async def client(conn: Connection) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            size = await conn.get(target, headers)
            result.latencies.append(time.perf_counter() - started)
            result.received += size
            if pace:
                await asyncio.sleep(pace)
    try:
        await asyncio.gather(*(client(c) for c in conns))
    finally:
        for conn in conns:
            conn.close()
    return result


def load(port: int, host: str, target: str, headers: dict, concurrency: int, seconds: float,
         ca: str, pace: float = 0.0) -> Load:
    context = ssl.create_default_context(cafile=ca)
    return asyncio.run(_load(port, host, target, headers, concurrency, seconds, context, pace))


def load_during(port: int, host: str, target: str, headers: dict, seconds: float, ca: str,
                burst: tuple[str, str, dict, int], pace: float = 0.005) -> tuple[Load, Load]:
    """(the paced small requests of one connection, the burst) while `burst` = (host, target,
    headers, concurrency) pulls back to back on other connections, for the same time."""
    context = ssl.create_default_context(cafile=ca)

    async def both():
        b_host, b_target, b_headers, b_conc = burst
        return await asyncio.gather(
            _load(port, host, target, headers, 1, seconds, context, pace),
            _load(port, b_host, b_target, b_headers, b_conc, seconds, context))
    small, heavy = asyncio.run(both())
    return small, heavy
