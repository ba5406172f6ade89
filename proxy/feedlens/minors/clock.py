"""Time for budgets and curfew: an injectable clock that knows the local time zone.

Local days are calendar days in the clock's zone, so a DST day is 23 or 25 real hours long and
every real minute of use is counted once. Tests pass a zone and a `now` function; the shipped
code uses the system's zone and time.time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: str | tzinfo | None = None, now: Callable[[], float] = time.time):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz  # None: the system's local zone
        self._now = now

    def now(self) -> float:
        return self._now()

    def local(self, ts: float) -> datetime:
        """The tz-aware local time of a unix timestamp."""
        if self.tz is None:
            return datetime.fromtimestamp(ts).astimezone()
        return datetime.fromtimestamp(ts, self.tz)

    def day(self, ts: float) -> date:
        return self.local(ts).date()

    def at(self, day: date, hour: int = 0, minute: int = 0) -> float:
        """The timestamp of a local wall-clock time (a time skipped by DST resolves forward)."""
        naive = datetime.combine(day, dtime(hour, minute))
        if self.tz is None:
            return naive.astimezone().timestamp()
        aware = naive.replace(tzinfo=self.tz)
        return aware.timestamp()

    def day_start(self, day: date) -> float:
        return self.at(day)

    def next_day_start(self, ts: float) -> float:
        return self.day_start(self.day(ts) + timedelta(days=1))

    def split_days(self, start: float, end: float) -> list[tuple[date, float]]:
        """Seconds of [start, end) that fall on each local day."""
        out = []
        while start < end:
            boundary = min(end, self.next_day_start(start))
            out.append((self.day(start), boundary - start))
            start = boundary
        return out


class ManualClock(Clock):
    """A clock for tests: fixed until told to move."""

    def __init__(self, tz: str | tzinfo | None, start: float):
        super().__init__(tz, lambda: self.current)
        self.current = float(start)

    def set(self, ts: float) -> None:
        self.current = float(ts)

    def advance(self, seconds: float) -> None:
        self.current += seconds
