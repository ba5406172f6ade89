"""The counterfactual check, for platforms that show nothing of the switch on the wire (Douyin,
Kuaishou, Xiaohongshu, Weibo, Zhihu, Toutiao): a paired fetch of the same surface without the
user's login, compared with what the user was shown.

- Opt-in: off by default (Settings.enabled); off, it never makes a request.
- Rate-limited: at most one paired fetch per platform per `min_interval_s`.
- Never sends or stores a cookie or token: only a few harmless headers are copied (a list of
  what may go, not of what may not), query parameters that name a token are dropped, the
  session's cookie jar ignores every Set-Cookie, and only GET surfaces are fetched.
- Goes straight out (trust_env=False: no $http_proxy), never through feedlens's own proxy.
- Compared by overlap: the share of the user's item ids that the paired (non-personalised)
  surface also shows. The first check while the user's choice is known honoured is the
  baseline (kept in the recorded observation's evidence, so it survives a restart); later, an overlap below `suspect_ratio` x the baseline is a suspected revert. It is
  fed to the watchdog as a marker, so it is only ever "suspected", never confirmed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp

from ..choice import Observation
from .track import OFF, ON

SAFE_HEADERS = ("user-agent", "accept", "accept-language")
_TOKEN_PARAMS = ("token", "key", "csrf", "sign", "session", "auth", "ticket", "passport", "uid", "msToken")
RULE = "counterfactual"


@dataclass
class Settings:
    enabled: bool = False  # opt-in
    min_interval_s: float = 30 * 60  # per platform
    suspect_ratio: float = 0.5
    timeout_s: float = 10.0


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

    async def check(self, *, platform: str, choice: str, device: str, method: str, url: str,
                    headers: dict, own_ids: list[str], ids_of: Callable, honoured: bool) -> Result:
        """One paired fetch of `url` (the user's own feed request, whose items were `own_ids`);
        `ids_of(doc)`: the item ids of a decoded response; `honoured`: the user's choice is
        known to be honoured now (this check may set the baseline)."""
        if not self.settings.enabled:
            return Result("off")
        if method.upper() != "GET" or not own_ids:
            return Result("unsupported")
        now = self.clock()
        if now - self.last_fetch.get(platform, float("-inf")) < self.settings.min_interval_s:
            return Result("rate_limited")
        self.last_fetch[platform] = now
        parts = urlsplit(url)
        where = {"method": "GET", "host": parts.hostname or "", "path": parts.path, "rule": RULE, "from": RULE}
        try:
            paired = set(map(str, ids_of(await self.fetch(anonymous_url(url), anonymous_headers(headers)))))
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
        async with aiohttp.ClientSession(trust_env=False, cookie_jar=aiohttp.DummyCookieJar(),
                                         timeout=timeout) as session:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                if response.status != 200:
                    raise ValueError(f"HTTP {response.status}")
                return await response.json(content_type=None)


def stored_baseline(db, key: tuple) -> float | None:
    """The baseline of the latest recorded check (kept in its evidence), so a restart keeps it."""
    row = db.execute("SELECT evidence FROM choice_observations WHERE platform = ? AND choice = ? "
                     "AND device = ? AND rule = ? ORDER BY id DESC LIMIT 1", (*key, RULE)).fetchone()
    return None if row is None else json.loads(row[0]).get("baseline")


def anonymous_headers(headers: dict) -> dict:
    """Only the headers that carry no identity; everything else (cookie, authorization,
    csrf, device and session headers) stays behind."""
    return {name: value for name, value in headers.items() if name.lower() in SAFE_HEADERS}


def anonymous_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not any(word.lower() in k.lower() for word in _TOKEN_PARAMS)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
