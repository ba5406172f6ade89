"""Decode, process and re-encode one feed body: inline for small bodies, in a worker process for
large ones, so the proxy's event loop keeps serving other connections.

A thread is not enough: the engine is pure Python and holds the GIL, and the event loop then
waits for it (benchmarks/runtime_bench.py measures both). Compiled adapters hold closures and
cannot be pickled, so a worker rebuilds the engine from the same YAML texts (an EngineSpec);
new adapters after a hot reload get new workers, and each job carries its profile.

Workers start when the first large body arrives (warm), not with the proxy: until one is ready,
large bodies are processed inline. Each worker talks over a socket pair in frames of bytes
(feedlens.offload_wire), read by the event loop itself: no pickled object trees, no executor
threads contending for the GIL.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import functools
import logging
import multiprocessing
import os
import pickle
import socket
import time
from dataclasses import dataclass
from typing import Any

from . import bodies, hooks, myrules, offload_wire, orphans
from .adapters import AdapterError, AdapterSet, compile_adapter
from .classifier import ResponseClassifier
from .engine import DEFAULT_BODY_CAP, Engine, Request
from .layers import stamp
from .model import Outcome
from .profiles import MARK_ONLY, Profile, ProfileError, compile_profile
from .yamlsrc import YamlError, parse

log = logging.getLogger("feedlens")

# One worker per core beyond the proxy's own, at most 2: on 2 cores a second worker only takes
# CPU from the event loop (benchmarks/runtime_bench.py, docs/benchmarks.md).
WORKERS = min(2, max(1, (os.cpu_count() or 2) - 2))
TIMEOUT = 15.0
RETRY_AFTER = 30.0  # after a worker died or hung, process inline for a while instead of respawning
SOCKET_BUFFER = 4 << 20  # the kernel caps it (net.core.wmem_max)


@dataclass(frozen=True)
class EngineSpec:
    """Everything needed to build the same engine in another process: the YAML texts in force.

    A worker pool is bound to the adapters; the profile part (small) travels with each job, so
    one pool serves every profile, and a feature's gate for one response travels by name
    (feedlens.hooks.register_profile_gate) with its parameters.
    """

    adapters: tuple[tuple[str, str, str, str], ...]  # (path, text, pack name, pack version)
    profile: tuple[str, str, str] | None  # (name, path, text); None = mark only
    title_prefix: str
    body_cap: int
    gate: tuple[str, tuple[tuple[str, Any], ...]] | None = None  # (gate name, its parameters)
    layer: tuple[str, str] | None = None  # My rules (path, text), composed over the profile

    def build(self) -> Engine:
        return self.engine(_compile_adapters(self.adapters))

    def engine(self, adapters: AdapterSet) -> Engine:
        """The engine of this profile, without the gate (it applies per response: gated())."""
        profile = _compile_profile(self.profile, self.layer, self.title_prefix)
        return Engine(adapters, profile, body_cap=self.body_cap)

    def gated(self, profile: Profile) -> Profile | None:
        """The profile for this one response, or None when no gate applies."""
        if self.gate is None:
            return None
        name, params = self.gate
        return hooks.profile_gate(name)(profile, **dict(params))

    def with_gate(self, name: str, **params) -> EngineSpec:
        return dataclasses.replace(self, gate=(name, tuple(sorted(params.items()))))

    def job(self) -> EngineSpec:
        """This spec without the adapter texts (the worker has them): what each job carries."""
        return dataclasses.replace(self, adapters=())


def _compile_adapters(texts: tuple[tuple[str, str, str, str], ...]) -> AdapterSet:
    adapters = []
    for path, text, pack, version in texts:
        try:
            adapters.append(stamp(compile_adapter(parse(text, path)), pack, version))
        except (AdapterError, YamlError) as exc:  # compiled before; only a bug gets here
            log.error("feedlens worker: %s", exc)
    return AdapterSet.of(adapters)


@functools.lru_cache(maxsize=16)
def _compile_profile(spec: tuple[str, str, str] | None, layer: tuple[str, str] | None,
                     title_prefix: str) -> Profile:
    """Compiled once per process and profile text (profiles are immutable once compiled),
    with My rules composed over it as the Runtime does."""
    profile = MARK_ONLY
    if spec is not None:
        name, path, text = spec
        profile = _compiled(text, path, name) or MARK_ONLY
    if layer is not None:
        profile = myrules.compose(profile, _compiled(layer[1], layer[0], "my-rules"))
    return dataclasses.replace(profile, title_prefix=title_prefix)


def _compiled(text: str, path: str, name: str) -> Profile | None:
    try:
        return compile_profile(parse(text, path, aliases=False), name)
    except (ProfileError, YamlError) as exc:  # compiled before; only a bug gets here
        log.error("feedlens worker: %s", exc)
        return None


def decode(raw: bytes, content_encoding: str | None, cap: int = DEFAULT_BODY_CAP) -> bytes:
    """Raises ValueError for a body that does not decode as its Content-Encoding says, and
    bodies.OverCap (a ValueError) as soon as it decodes to more than `cap` bytes."""
    return bodies.decode(raw, content_encoding, cap)


encode = bodies.encode  # (the tests and benchmarks name it here)


# -- the worker process ---------------------------------------------------------------------------

_adapters: AdapterSet | None = None
_engines: dict[bytes, tuple[EngineSpec, Engine]] = {}  # per job spec (profile) in force


def _init(spec: EngineSpec, setup, parent: int | None = None) -> None:
    global _adapters
    if parent is not None:
        orphans.die_with_parent(parent)  # no worker outlives feedlens, even after kill -9
    if setup is not None:
        setup()  # the parent's registrations (features' gates) do not cross a spawn
    _adapters = _compile_adapters(spec.adapters)


def _job(job_bytes: bytes) -> tuple[EngineSpec, Engine]:
    found = _engines.get(job_bytes)
    if found is None:
        job = pickle.loads(job_bytes)
        found = _engines[job_bytes] = job, job.engine(_adapters)
    return found


def _answer(job_bytes: bytes, meta: bytes, raw: bytes) -> tuple[bytes, bytes]:
    """(the reply, the new body as sent or b"") for one job; every failure is a reply."""
    try:
        job, engine = _job(job_bytes)
        request, content_encoding, content_type = pickle.loads(meta)
        outcome, new_raw = ResponseClassifier(engine).process_sent(
            request, raw, content_encoding, content_type, profile=job.gated(engine.profile))
        return offload_wire.reply(outcome), new_raw or b""
    except bodies.OverCap as exc:
        return offload_wire.failure("over_cap", exc.cap), b""
    except Exception as exc:  # noqa: BLE001 - the proxy fails open with the reason
        return offload_wire.failure("error", type(exc).__name__, str(exc)), b""


def serve(sock: socket.socket, spec: EngineSpec, setup, parent: int) -> None:
    """A worker's life: build the adapters, say ready, answer jobs until the socket closes."""
    _init(spec, setup, parent)
    sock.setblocking(True)
    stream = sock.makefile("rb")
    sock.sendall(b"".join(offload_wire.frame(b"ready", b"", b"")))
    while header := stream.read(offload_wire.HEADER.size):
        if len(header) < offload_wire.HEADER.size:
            return
        sizes = offload_wire.HEADER.unpack(header)
        job_bytes, meta, raw = (stream.read(n) for n in sizes)
        answer, body = _answer(job_bytes, meta, raw)
        sock.sendall(b"".join(offload_wire.frame(answer, b"", body)))


# -- the proxy's side ------------------------------------------------------------------------------

class WorkerFailed(RuntimeError):
    """A worker died or hung: the body passes on unchanged."""


class _Worker:
    def __init__(self, process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.process, self.reader, self.writer = process, reader, writer

    async def call(self, job_bytes: bytes, meta: bytes, raw: bytes) -> tuple[bytes, bytes]:
        self.writer.writelines(offload_wire.frame(job_bytes, meta, raw))
        return await self.receive()

    async def receive(self) -> tuple[bytes, bytes]:
        header = await self.reader.readexactly(offload_wire.HEADER.size)
        a, _, body = offload_wire.HEADER.unpack(header)
        data = await self.reader.readexactly(a + body)
        return data[:a], data[a:]

    def close(self) -> None:
        self.writer.close()
        if self.process.is_alive():
            self.process.kill()


class Offload:
    """A few worker processes bound to the adapters of an EngineSpec; replaced when they change."""

    def __init__(self, workers: int = WORKERS, timeout: float = TIMEOUT, setup=None):
        """`setup`: a module-level function each worker runs first (feedlens.features.install)."""
        self.workers, self.timeout, self.setup = workers, timeout, setup
        self.jobs_done = 0  # bodies a worker processed (health and tests tell inline from offloaded)
        self.started = 0  # worker processes started (lazy start: none until a large body)
        self._spec: EngineSpec | None = None
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: list[_Worker] = []
        self._processes: list = []
        self._tasks: set[asyncio.Future] = set()
        self._job: tuple[EngineSpec, bytes] | None = None
        self._retry_at = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._retry_at

    def ready(self, spec: EngineSpec) -> bool:
        """A worker for these adapters is up and built (else: process inline and warm)."""
        return not self._stale(spec) and bool(self._all)

    def warm(self, spec: EngineSpec) -> None:
        """Start workers for this spec now (they take a second or two to build the adapters)."""
        if self._stale(spec) and self.available:
            self._start(spec)

    async def transform(self, spec: EngineSpec, request: Request, raw: bytes,
                        content_encoding: str | None, content_type: str | None):
        if self._stale(spec):
            self._start(spec)
        idle = self._idle
        meta = pickle.dumps((request, content_encoding, content_type), protocol=pickle.HIGHEST_PROTOCOL)
        worker = None
        try:
            async with asyncio.timeout(self.timeout):
                worker = await idle.get()
                answer, body = await worker.call(self._job_bytes(spec), meta, raw)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            if idle is self._idle:  # a stuck or dead worker: pause, then start afresh
                log.warning("feedlens: engine worker failed (%s); processing inline for %.0f s",
                            type(exc).__name__, RETRY_AFTER)
                self.close()
                self._retry_at = time.monotonic() + RETRY_AFTER
            if isinstance(exc, TimeoutError):
                raise
            raise WorkerFailed(f"{type(exc).__name__}: {exc}") from exc
        idle.put_nowait(worker)
        self.jobs_done += 1
        return _result(offload_wire.read_reply(answer), body)

    def _job_bytes(self, spec: EngineSpec) -> bytes:
        if self._job is None or self._job[0] is not spec:
            self._job = spec, pickle.dumps(spec.job(), protocol=pickle.HIGHEST_PROTOCOL)
        return self._job[1]

    def _start(self, spec: EngineSpec) -> None:
        self.close()
        self._spec, self._idle = spec, asyncio.Queue()
        context = multiprocessing.get_context("spawn")  # forking a process with threads is unsafe
        for _ in range(self.workers):
            ours, theirs = socket.socketpair()
            for end in (ours, theirs):  # a whole body in one write: fewer wake-ups on both sides
                end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
                end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
            process = context.Process(target=serve, args=(theirs, spec, self.setup, os.getpid()),
                                      name="feedlens-engine", daemon=True)
            process.start()
            theirs.close()
            self.started += 1
            self._processes.append(process)
            task = asyncio.ensure_future(self._connect(process, ours, self._idle))
            self._tasks.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(self._tasks.discard)

    async def _connect(self, process, sock: socket.socket, idle: asyncio.Queue) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
            worker = _Worker(process, reader, writer)
            await worker.receive()  # "ready": the adapters are built
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            if idle is self._idle:  # not closed meanwhile: it died on its way up
                log.warning("feedlens: an engine worker did not start: %s", exc)
            sock.close()
            return
        if idle is not self._idle:  # closed or replaced meanwhile
            worker.close()
            return
        self._all.append(worker)
        idle.put_nowait(worker)

    def _stale(self, spec: EngineSpec) -> bool:
        # Tuples of the same (path, text) string objects: equal at the cost of identity checks.
        return self._idle is None or self._spec is None or spec.adapters != self._spec.adapters

    def close(self) -> None:
        for worker in self._all:
            worker.close()
        for process in self._processes:
            if process.is_alive():
                process.kill()
        self._all, self._processes, self._spec, self._idle = [], [], None, None


def _result(message: tuple, body: bytes) -> tuple[Outcome, bytes | None]:
    if message[0] == "ok":
        return message[1], body or None
    if message[0] == "over_cap":
        raise bodies.OverCap(message[1])
    raise _exception(message[1], message[2])


def _exception(name: str, text: str) -> Exception:
    """The worker's exception as the proxy would have seen it inline (its type name and text
    go into the item log), for built-in types; WorkerFailed for any other."""
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(text)
        except TypeError:  # a type that wants other arguments (UnicodeDecodeError)
            pass
    return WorkerFailed(f"{name}: {text}")
