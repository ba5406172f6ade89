"""Active feed time per device, profile and local day; sessions of continuous use.

A device's feed responses that follow each other within `session_gap_minutes` are continuous use:
the time between them is counted (split at local midnight, so each local day gets its real
seconds, DST days included). A longer gap ends the session: it is not counted, and the next
response starts a new session with fresh per-session item counts. All of it lives in memory
(the proxy path reads it) and is written to SQLite by the owner (state.Minors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from .clock import Clock

KEEP_DAYS = 8  # today and the week before: what the proxy and the dashboard read from memory


@dataclass
class Session:
    profile: str
    started: float
    last: float
    rest_anchor: float  # the session's start, or when the rest reminder was last shown
    items: dict[str, int] = field(default_factory=dict)  # shown items by provenance

    def alive(self, now: float, gap_seconds: float) -> bool:
        return now - self.last <= gap_seconds  # a clock that stepped back keeps the session


class UsageBook:
    def __init__(self, clock: Clock):
        self.clock = clock
        # device → (profile, local day) → seconds: the proxy path reads one device's entries
        self.seconds: dict[str, dict[tuple[str, date], float]] = {}
        self.sessions: dict[str, Session] = {}
        self.dirty_days: set[tuple[str, str, date]] = set()
        self.dirty_sessions: set[str] = set()
        self._today: date | None = None

    # -- recording (the proxy path) ---------------------------------------------------------------

    def record(self, device: str, profile: str, now: float, gap_seconds: float) -> Session:
        """A feed response of this device at `now`: extend its session or start a new one."""
        self._roll(now)
        session = self.sessions.get(device)
        if session is not None and session.profile == profile and session.alive(now, gap_seconds):
            if now > session.last:
                for day, seconds in self.clock.split_days(session.last, now):
                    self._add(device, profile, day, seconds)
                session.last = now
        else:
            session = self.sessions[device] = Session(profile, now, now, now)
        self.dirty_sessions.add(device)
        return session

    def count_items(self, device: str, counts: dict[str, int]) -> None:
        session = self.sessions.get(device)
        if session is None or not counts:
            return
        for provenance, n in counts.items():
            session.items[provenance] = session.items.get(provenance, 0) + n
        self.dirty_sessions.add(device)

    def rest_shown(self, device: str, now: float) -> None:
        session = self.sessions.get(device)
        if session is not None:
            session.rest_anchor = now
            self.dirty_sessions.add(device)

    def _add(self, device: str, profile: str, day: date, seconds: float) -> None:
        days = self.seconds.setdefault(device, {})
        days[(profile, day)] = days.get((profile, day), 0.0) + seconds
        self.dirty_days.add((device, profile, day))

    def _roll(self, now: float) -> None:
        """Forget days older than KEEP_DAYS from memory (they stay in SQLite)."""
        today = self.clock.day(now)
        if today == self._today:
            return
        self._today = today
        oldest = today - timedelta(days=KEEP_DAYS - 1)
        for device, days in self.seconds.items():
            for key in [k for k in days if k[1] < oldest and (device, *k) not in self.dirty_days]:
                del days[key]

    # -- reading ----------------------------------------------------------------------------------

    def session(self, device: str, now: float, gap_seconds: float) -> Session | None:
        """The device's session if it is still going at `now`."""
        session = self.sessions.get(device)
        return session if session is not None and session.alive(now, gap_seconds) else None

    def day_seconds(self, device: str, day: date, profile: str | None = None) -> float:
        if profile is not None:
            return self.seconds.get(device, {}).get((profile, day), 0.0)
        return sum(s for (_, when), s in self.seconds.get(device, {}).items() if when == day)

    def days_used(self, device: str, days: list[date]) -> int:
        wanted = set(days)
        entries = self.seconds.get(device, {}).items()
        return len({when for (_, when), seconds in entries if when in wanted and seconds > 0})

    # -- persistence ------------------------------------------------------------------------------

    def load(self, usage_rows, session_rows) -> None:
        for device, profile, day, seconds in usage_rows:
            self.seconds.setdefault(device, {})[(profile, date.fromisoformat(day))] = float(seconds)
        for device, profile, started, last, rest_anchor, items in session_rows:
            self.sessions[device] = Session(profile, started, last, rest_anchor, json.loads(items or "{}"))

    def take_dirty(self) -> tuple[list[tuple], list[tuple]]:
        """Rows to upsert since the last call: (usage rows, session rows)."""
        usage = [(d, p, day.isoformat(), self.seconds.get(d, {}).get((p, day), 0.0))
                 for d, p, day in self.dirty_days]
        sessions = [(d, s.profile, s.started, s.last, s.rest_anchor, json.dumps(s.items))
                    for d in self.dirty_sessions if (s := self.sessions.get(d)) is not None]
        self.dirty_days, self.dirty_sessions = set(), set()
        return usage, sessions
