"""The per-platform limit on reports: platforms treat report flooding as abuse.

Every hand-out of a prepared request counts (a new report or a retry). The times come from
the reports tables inside the same write transaction that would add the next one, so two
clicks racing each other cannot both slip under the limit, and the limit survives restarts.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

HOUR = 3600.0
ENV_MIN_INTERVAL = "FEEDLENS_REPORT_MIN_INTERVAL"  # seconds between two reports on one platform
ENV_PER_HOUR = "FEEDLENS_REPORT_MAX_PER_HOUR"       # reports per platform in any hour


@dataclass(frozen=True)
class RateLimit:
    min_interval: float = 10.0
    per_hour: int = 20

    @classmethod
    def from_env(cls, environ=None) -> RateLimit:
        """Defaults, overridden by the environment (tests and careful users may tune them)."""
        environ = os.environ if environ is None else environ
        default = cls()
        interval = _number(environ, ENV_MIN_INTERVAL, default.min_interval)
        per_hour = int(_number(environ, ENV_PER_HOUR, default.per_hour))
        if interval < 0 or per_hour < 1:
            raise ValueError(f"{ENV_MIN_INTERVAL} must be >= 0 and {ENV_PER_HOUR} >= 1")
        return cls(min_interval=interval, per_hour=per_hour)

    def retry_after(self, times: list[float], now: float) -> float | None:
        """Seconds to wait before the next report, given earlier hand-out times; None = go."""
        recent = sorted(t for t in times if now - t < HOUR)
        waits = []
        if recent and now - recent[-1] < self.min_interval:
            waits.append(recent[-1] + self.min_interval - now)
        if len(recent) >= self.per_hour:
            waits.append(recent[-self.per_hour] + HOUR - now)
        return max(waits) if waits else None


def header_value(seconds: float) -> str:
    """Retry-After wants whole seconds; round up so a client that obeys it is let through."""
    return str(max(1, math.ceil(seconds)))


def _number(environ, name: str, default: float) -> float:
    value = environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite")
    return number
