"""Active feed time per device, profile and local day; sessions of continuous use.

A device's feed responses that follow each other within `session_gap_minutes` are continuous use:
the time between them is counted (split at local midnight, so each local day gets its real
seconds, DST days included). A longer gap ends the session: it is not counted, and the next
response starts a new session with fresh per-session item counts. All of it lives in memory
(the proxy path reads it) and is written to SQLite by the owner (state.Minors).

Time per format: the time between two responses of a session goes to every format the earlier
response showed (what was on screen until the next one), per device, format and local day.
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
    formats: tuple[str, ...] = ()  # the formats the last response showed (on screen now)

    def alive(self, now: float, gap_seconds: float) -> bool:
        return now - self.last <= gap_seconds  # a clock that stepped back keeps the session


class UsageBook:
    def __init__(self, clock: Clock):
        self.clock = clock
        # device → (profile, local day) → seconds: the proxy path reads one device's entries
        self.seconds: dict[str, dict[tuple[str, date], float]] = {}
        # device → (format, local day) → seconds that format was on screen
        self.format_seconds: dict[str, dict[tuple[str, date], float]] = {}
        self.dirty_formats: set[tuple[str, str, date]] = set()
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
                    for name in session.formats:
                        self._add_format(device, name, day, seconds)
                session.last = now
        else:
            session = self.sessions[device] = Session(profile, now, now, now)
        self.dirty_sessions.add(device)
        return session

    def show_formats(self, device: str, formats) -> None:
        """The formats the device's newest response showed: they count until its next one."""
        session = self.sessions.get(device)
        if session is not None and session.formats != (shown := tuple(sorted(set(formats)))):
            session.formats = shown
            self.dirty_sessions.add(device)

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

    def _add_format(self, device: str, name: str, day: date, seconds: float) -> None:
        days = self.format_seconds.setdefault(device, {})
        days[(name, day)] = days.get((name, day), 0.0) + seconds
        self.dirty_formats.add((device, name, day))

    def _roll(self, now: float) -> None:
        """Forget days older than KEEP_DAYS from memory (they stay in SQLite)."""
        today = self.clock.day(now)
        if today == self._today:
            return
        self._today = today
        oldest = today - timedelta(days=KEEP_DAYS - 1)
        for book, dirty in ((self.seconds, self.dirty_days), (self.format_seconds, self.dirty_formats)):
            for device, days in book.items():
                for key in [k for k in days if k[1] < oldest and (device, *k) not in dirty]:
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

    def format_day_seconds(self, device: str, name: str, day: date) -> float:
        return self.format_seconds.get(device, {}).get((name, day), 0.0)

    def days_used(self, device: str, days: list[date]) -> int:
        wanted = set(days)
        entries = self.seconds.get(device, {}).items()
        return len({when for (_, when), seconds in entries if when in wanted and seconds > 0})

    # -- persistence ------------------------------------------------------------------------------

    def load(self, usage_rows, session_rows, format_rows=()) -> None:
        for device, profile, day, seconds in usage_rows:
            self.seconds.setdefault(device, {})[(profile, date.fromisoformat(day))] = float(seconds)
        for device, name, day, seconds in format_rows:
            self.format_seconds.setdefault(device, {})[(name, date.fromisoformat(day))] = float(seconds)
        for device, profile, started, last, rest_anchor, items, formats in session_rows:
            self.sessions[device] = Session(profile, started, last, rest_anchor, json.loads(items or "{}"),
                                            tuple(json.loads(formats or "[]")))

    def take_dirty(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Rows to upsert since the last call: (usage rows, session rows, format usage rows)."""
        usage = [(d, p, day.isoformat(), self.seconds.get(d, {}).get((p, day), 0.0))
                 for d, p, day in self.dirty_days]
        sessions = [(d, s.profile, s.started, s.last, s.rest_anchor, json.dumps(s.items),
                     json.dumps(list(s.formats)))
                    for d in self.dirty_sessions if (s := self.sessions.get(d)) is not None]
        formats = [(d, f, day.isoformat(), self.format_day_seconds(d, f, day))
                   for d, f, day in self.dirty_formats]
        self.dirty_days, self.dirty_sessions, self.dirty_formats = set(), set(), set()
        return usage, sessions, formats
