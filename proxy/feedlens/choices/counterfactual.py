"""The counterfactual check, for platforms that show nothing of the switch on the wire (Douyin,
Kuaishou, Xiaohongshu, Weibo, Zhihu, Toutiao): a paired fetch of the same surface without the
user's login, compared with what the user was shown.

- Opt-in: off by default (Settings.enabled); off, it never makes a request.
- Rate-limited: at most one paired fetch per platform per `min_interval_s`.
- Never sends or stores a cookie or token: only a few harmless headers are copied (a list of
  what may go, not of what may not), query parameters that name a token are dropped, the
  session's cookie jar ignores every Set-Cookie, and only GET surfaces are fetched.
- Goes straight out (trust_env=False: no $http_proxy), never through feedlens's own proxy,
  connecting as the proxy does upstream: its --resolve map and --upstream-ca (Settings).
- Compared by overlap: the share of the user's item ids that the paired (non-personalised)
  surface also shows. The first check while the user's choice is known honoured is the
  baseline (kept in the recorded observation's evidence, so it survives a restart); later, an overlap below `suspect_ratio` x the baseline is a suspected revert. It is
  fed to the watchdog as a marker, so it is only ever "suspected", never confirmed.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from ..choice import Observation
from ..choice_schema import TOKEN_PARAMS
from .track import OFF, ON

SAFE_HEADERS = ("user-agent", "accept", "accept-language")
RULE = "counterfactual"


@dataclass
class Settings:
    enabled: bool = False  # opt-in
    min_interval_s: float = 30 * 60  # per platform
    suspect_ratio: float = 0.5
    timeout_s: float = 10.0
    resolve: dict = field(default_factory=dict)  # host -> (address, port), like curl --resolve
    ca_file: str | None = None  # also trusted for the platform's servers (--upstream-ca)


@dataclass
class Result:
    status: str  # off | rate_limited | unsupported | failed | baseline | honoured | suspected
    overlap: float | None = None
    baseline: float | None = None
    evidence: dict = field(default_factory=dict)


class Counterfactual:
    def __init__(self, settings: Settings | None = None, watchdog=None, clock: Callable[[], float] = time.time):
        self.settings = settings or Settings()
        self.watchdog = watchdog  # its observe() records the result; None: not recorded
        self.clock = clock
        self.last_fetch: dict[str, float] = {}
        self.baselines: dict[tuple, float] = {}

    def due(self, platform: str) -> bool:
        """On, and no paired fetch of this platform within the interval."""
        last = self.last_fetch.get(platform, float("-inf"))
        return self.settings.enabled and self.clock() - last >= self.settings.min_interval_s

    async def check(self, *, platform: str, choice: str, device: str, method: str, url: str,
                    headers: dict, own_ids: list[str], ids_of: Callable, honoured: bool,
                    query: frozenset[str] | None = None) -> Result:
        """One paired fetch of `url` (the user's own feed request, whose items were `own_ids`);
        `ids_of(doc)`: the item ids of a decoded response; `honoured`: the user's choice is
        known to be honoured now (this check may set the baseline); `query`: the only query
        parameters kept (the adapter's list), else every one that is not token-like."""
        if not self.settings.enabled:
            return Result("off")
        if method.upper() != "GET" or not own_ids:
            return Result("unsupported")
        if not self.due(platform):
            return Result("rate_limited")
        now = self.clock()
        self.last_fetch[platform] = now
        parts = urlsplit(url)
        where = {"method": "GET", "host": parts.hostname or "", "path": parts.path, "rule": RULE, "from": RULE}
        try:
            doc = await self.fetch(anonymous_url(url, query), anonymous_headers(headers))
            paired = set(map(str, ids_of(doc)))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return Result("failed", evidence={**where, "error": type(exc).__name__})
        own = set(map(str, own_ids))
        overlap = round(len(own & paired) / len(own), 3)
        evidence = {**where, "overlap": overlap, "own_items": len(own), "paired_items": len(paired)}
        key = (platform, choice, device)
        if key not in self.baselines and self.watchdog is not None:
            stored = await self.watchdog.store.run_read(lambda db: stored_baseline(db, key))
            if stored is not None:
                self.baselines.setdefault(key, stored)
        result = self._judge(key, overlap, honoured, evidence)
        if self.watchdog is not None and result.baseline is not None:  # a baseline arms it
            state = ON if result.status == "suspected" else OFF
            await self.watchdog.observe(Observation(platform, choice, RULE, "marker", "suspected", state,
                                                    result.evidence), device, now)
        return result

    def _judge(self, key: tuple, overlap: float, honoured: bool, evidence: dict) -> Result:
        baseline = self.baselines.get(key)
        if honoured and baseline is None:
            self.baselines[key] = overlap
            return Result("baseline", overlap, overlap, {**evidence, "baseline": overlap})
        if baseline is None:
            return Result("baseline", overlap, None, evidence)  # nothing to compare with yet
        evidence = {**evidence, "baseline": baseline}
        if overlap < baseline * self.settings.suspect_ratio:
            return Result("suspected", overlap, baseline, evidence)
        return Result("honoured", overlap, baseline, evidence)

    async def fetch(self, url: str, headers: dict):
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        connector = aiohttp.TCPConnector(resolver=_Resolve(self.settings.resolve),
                                         ssl=_ssl_context(self.settings.ca_file))
        async with aiohttp.ClientSession(trust_env=False, cookie_jar=aiohttp.DummyCookieJar(),
                                         timeout=timeout, connector=connector) as session:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status != 200:
                    raise ValueError(f"HTTP {response.status}")
                return await response.json(content_type=None)


class _Resolve(AbstractResolver):
    """The proxy's --resolve map first (the address and port for a host), else the system's."""

    def __init__(self, mapping: dict):
        self.mapping, self.system = mapping, aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        target = self.mapping.get(host.lower().rstrip("."))
        if target is None:
            return await self.system.resolve(host, port, family)
        address, port = target
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": host, "host": address, "port": port, "family": family,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        await self.system.close()


def _ssl_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def stored_baseline(db, key: tuple) -> float | None:
    """The baseline of the latest recorded check (kept in its evidence), so a restart keeps it."""
    row = db.execute("SELECT evidence FROM choice_observations WHERE platform = ? AND choice = ? "
                     "AND device = ? AND rule = ? ORDER BY id DESC LIMIT 1", (*key, RULE)).fetchone()
    return None if row is None else json.loads(row[0]).get("baseline")


def anonymous_headers(headers: dict) -> dict:
    """Only the headers that carry no identity; everything else (cookie, authorization,
    csrf, device and session headers) stays behind."""
    return {name: value for name, value in headers.items() if name.lower() in SAFE_HEADERS}


def anonymous_url(url: str, keep: frozenset[str] | None = None) -> str:
    """The URL without token-like query parameters; with `keep` (the adapter's `query:` list),
    only those parameters stay."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if (keep is None or k in keep) and not any(word in k.lower() for word in TOKEN_PARAMS)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
