"""Decode, process and re-encode one feed body: inline for small bodies, in a worker process for
large ones, so the proxy's event loop keeps serving other connections.

A thread is not enough: the engine is pure Python and holds the GIL, and the event loop then
waits for it (benchmarks/runtime_bench.py measures both). Compiled adapters hold closures and
cannot be pickled, so a worker rebuilds the engine from the same YAML texts (an EngineSpec);
new adapters after a hot reload get a new pool, and each job carries its profile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gzip
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from mitmproxy.net import encoding

from . import bodies, hooks, myrules, orphans
from .adapters import AdapterError, AdapterSet, compile_adapter
from .engine import DEFAULT_BODY_CAP, Engine, Request
from .layers import stamp
from .model import Outcome
from .profiles import MARK_ONLY, Profile, ProfileError, compile_profile
from .yamlsrc import YamlError, parse

log = logging.getLogger("feedlens")

WORKERS = min(2, max(1, (os.cpu_count() or 2) - 1))
TIMEOUT = 15.0
RETRY_AFTER = 30.0  # after a worker died or hung, process inline for a while instead of respawning
# mitmproxy's defaults (brotli 11, gzip 9) cost ~0.6 s and ~30 ms on a 1 MB page; these cost
# ~5 ms for output within ~15% of the size.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6


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


def encode(body: bytes, content_encoding: str | None) -> bytes:
    name = (content_encoding or "identity").strip().lower()
    if name == "br":
        import brotli
        return brotli.compress(body, quality=BROTLI_QUALITY)
    if name in ("gzip", "x-gzip"):
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return encoding.encode(body, name)


def transform(engine: Engine, request: Request, raw: bytes, content_encoding: str | None,
              content_type: str | None, *, profile: Profile | None = None,
              candidates=None, decoded: bytes | None = None) -> tuple[Outcome, bytes | None]:
    """(outcome without its body, the new body as sent or None to pass the original).
    `decoded`: the body already decoded by the caller. Raises bodies.OverCap for a body that
    decodes to more than the engine's cap: it passes unchanged."""
    if decoded is None:
        decoded = decode(raw, content_encoding, engine.body_cap)
    outcome = engine.process(request, decoded, content_type, candidates=candidates, profile=profile)
    new_raw = encode(outcome.body, content_encoding) if outcome.changed and not outcome.error else None
    outcome.body = None  # the caller needs the encoded form only; do not ship it twice
    return outcome, new_raw


# -- the worker process -----------------------------------------------------------------------------

_adapters: AdapterSet | None = None
_engines: dict[tuple, Engine] = {}  # one per profile in force, built once per pool


def _init(spec: EngineSpec, setup, parent: int | None = None) -> None:
    global _adapters
    if parent is not None:
        orphans.die_with_parent(parent)  # no worker outlives feedlens, even after kill -9
    if setup is not None:
        setup()  # the parent's registrations (features' gates) do not cross a spawn
    _adapters = _compile_adapters(spec.adapters)


def _transform(job: EngineSpec, request, raw, content_encoding, content_type):
    key = (job.profile, job.layer, job.title_prefix, job.body_cap)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = job.engine(_adapters)
    return transform(engine, request, raw, content_encoding, content_type,
                     profile=job.gated(engine.profile))


def _ready() -> bool:
    return _adapters is not None


class Offload:
    """A small process pool bound to the adapters of an EngineSpec; replaced when they change."""

    def __init__(self, workers: int = WORKERS, timeout: float = TIMEOUT, setup=None):
        """`setup`: a module-level function each worker runs first (feedlens.features.install)."""
        self.workers, self.timeout, self.setup = workers, timeout, setup
        self.jobs_done = 0  # bodies a worker processed (health and tests tell inline from offloaded)
        self._pool: ProcessPoolExecutor | None = None
        self._spec: EngineSpec | None = None
        self._retry_at = 0.0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._retry_at

    def warm(self, spec: EngineSpec) -> None:
        """Start workers for this spec now, so the first large body does not wait for them."""
        if self._stale(spec) and self.available:
            self._pool_for(spec).submit(_ready)

    async def transform(self, spec: EngineSpec, request: Request, raw: bytes,
                        content_encoding: str | None, content_type: str | None):
        pool = self._pool_for(spec)
        job = asyncio.get_running_loop().run_in_executor(
            pool, _transform, spec.job(), request, raw, content_encoding, content_type)
        try:
            result = await asyncio.wait_for(job, self.timeout)
            self.jobs_done += 1
            return result
        except (TimeoutError, asyncio.TimeoutError, BrokenProcessPool) as exc:
            if pool is self._pool:  # a stuck or dead worker: pause, then start a fresh pool
                log.warning("feedlens: engine worker failed (%s); processing inline for %.0f s",
                            type(exc).__name__, RETRY_AFTER)
                self.close()
                self._retry_at = time.monotonic() + RETRY_AFTER
            raise

    def _pool_for(self, spec: EngineSpec) -> ProcessPoolExecutor:
        if self._stale(spec):
            self.close()
            # spawn: forking a process that runs threads and an event loop is unsafe.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init, initargs=(spec, self.setup, os.getpid()))
            self._spec = spec
        return self._pool

    def _stale(self, spec: EngineSpec) -> bool:
        # Tuples of the same (path, text) string objects: equal at the cost of identity checks.
        return self._pool is None or self._spec is None or spec.adapters != self._spec.adapters

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._spec = None, None
