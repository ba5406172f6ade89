"""`runtime.minors`: per-device profiles, feed time, curfew and budgets (time requests and
grants: time_requests.py).

The proxy path calls only synchronous methods that read memory (device_profile, status,
session_quota, record_feed); their changes reach SQLite through one coalesced write on the
store's writer thread a moment later (and on close). The async methods serve the companion
API and the parent's dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from datetime import date, timedelta

from . import rows as sql_rows
from .clock import Clock
from .devices import Device, Registry, is_console, normal, source_of, valid_name
from .errors import MinorsError, NotFound
from .format_budgets import FormatBudgets
from .policy import NO_LIMITS, Limits
from .time_requests import _CONTROL, MAX_PENDING, MAX_REQUEST_MINUTES, TimeRequests  # noqa: F401 (re-exported)
from .usage import KEEP_DAYS, UsageBook

log = logging.getLogger("feedlens")

FLUSH_DELAY = 0.5  # seconds: coalesce the writes of a burst of feed responses
EXPECTED_DAYS = 3  # used on this many of the 7 days before today: its absence is worth a look
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FILTERED_DECISIONS = ("hide", "blur", "warn")


class Minors(TimeRequests, FormatBudgets):
    def __init__(self, store, *, clock: Clock | None = None,
                 limits: Callable[[str], Limits] | None = None,
                 default_profile: Callable[[], str] | None = None,
                 locked: Callable[[str], bool] | None = None):
        self.store = store
        self._locked = locked or (lambda name: False)  # the parent lock (minors/lock.py)
        self.clock = clock or Clock()
        self._limits = limits or (lambda name: NO_LIMITS)
        self._default_profile = default_profile or (lambda: "default")
        self.registry = Registry()
        self.book = UsageBook(self.clock)
        self.extra: dict[tuple[str, date], int] = {}  # granted minutes per device and local day
        self.exempt_until: dict[str, float] = {}  # a grant during curfew opens it for its minutes
        self.counters = {"blocked_feeds": 0, "block_pages": 0, "rest_pages": 0,
                         "session_hidden": 0, "format_hidden": 0, "time_requests": 0, "errors": 0, "write_errors": 0}
        self.last_error: dict | None = None
        self._logged: set[str] = set()
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task | None = None
        self._write_failing = False
        self._closed = False

    def use_clock(self, clock: Clock) -> None:
        """Tests: put every decision and count on this clock."""
        self.clock = self.book.clock = clock

    # -- the proxy path (sync, memory only) ---------------------------------------------------------

    def device_profile(self, name: str) -> str | None:
        return self.registry.profile(name)

    def device_for(self, user: str | None, addr: str) -> str:
        """Which device a flow is: its user name, except when its address is assigned a locked
        profile (a user name never silently overrides that: a child's new proxy user name does
        not escape the tablet's lock); without a user name, its address."""
        if user is None:
            return addr
        assigned = self.registry.profile(addr)
        return addr if assigned and self._locked(assigned) else user

    def household_default(self) -> str | None:
        """Deny by default: with a lock active, the locked profile devices nobody assigned get —
        the active profile when it is locked, else the locked profile assigned to most devices."""
        active = self._default_profile()
        if self._locked(active):
            return active
        counts: dict[str, int] = {}
        for device in self.registry.devices.values():
            if device.profile and self._locked(device.profile):
                counts[device.profile] = counts.get(device.profile, 0) + 1
        return min(counts, key=lambda p: (-counts[p], p)) if counts else None

    def profile_for(self, name: str) -> str:
        assigned = self.registry.profile(name)
        if assigned:
            return assigned
        household = None if is_console(name) else self.household_default()
        return household or self._default_profile()

    def limits_for(self, name: str) -> Limits:
        return self._limits(self.profile_for(name))

    def limited(self) -> bool:
        """Whether any device can be limited at all (else the proxy skips this feature)."""
        return self._limits(self._default_profile()).any or any(
            self._limits(name).any for name in self.registry.assigned_profiles())

    def status(self, device: str, now: float) -> dict:
        limits = self.limits_for(device)
        remaining = self._remaining(device, limits, now)
        out = {"blocked": False, "reason": None, "until": None, "remaining_minutes": remaining,
               "rest_due": self._rest_due(device, limits, now)}
        if self._in_curfew(device, limits, now):
            out.update(blocked=True, reason="curfew", until=self._curfew_end(limits, now))
        elif remaining is not None and remaining <= 0:
            out.update(blocked=True, reason="budget", until=self._budget_until(limits, now))
        return out

    def session_quota(self, device: str, now: float) -> dict[str, int]:
        """Items each limited provenance may still show in the device's current session."""
        limits = self.limits_for(device)
        if not limits.session_items:
            return {}
        session = self.book.session(device, now, limits.session_gap_minutes * 60)
        used = session.items if session is not None and session.profile == self.profile_for(device) else {}
        return {p: max(0, n - used.get(p, 0)) for p, n in limits.session_items.items()}

    def record_feed(self, device: str, profile: str, now: float, shown: dict[str, int],
                    *, counted: bool = True, formats=()) -> None:
        """A feed response reached the device; `counted=False` for blocked (emptied) ones.
        `formats`: the formats of the items it shows (they count until the device's next one)."""
        if self.registry.seen(device, now) is None:
            return  # the registry is full: an unknown extra device is not tracked
        if counted:
            limits = self._limits(profile)
            self.book.record(device, profile, now, limits.session_gap_minutes * 60)
            self.book.count_items(device, shown)
            self.book.show_formats(device, _counted_formats(limits, formats))
        self._schedule_flush()

    def rest_shown(self, device: str, now: float) -> None:
        self.book.rest_shown(device, now)
        self.counters["rest_pages"] += 1
        self._schedule_flush()

    def failed(self, exc: BaseException) -> None:
        """An error on the proxy path (the response passed through as if no limits applied)."""
        self.counters["errors"] += 1
        self.last_error = {"time": time.time(), "error": f"{type(exc).__name__}: {exc}"}
        if self.last_error["error"] not in self._logged:  # once per distinct error: no log flood
            self._logged.add(self.last_error["error"])
            log.warning("feedlens: minors: %s (response passed through)", self.last_error["error"])

    # -- status helpers ---------------------------------------------------------------------------

    def _minute_of_day(self, now: float) -> int:
        local = self.clock.local(now)
        return local.hour * 60 + local.minute

    def _in_curfew(self, device: str, limits: Limits, now: float) -> bool:
        return limits.in_curfew(self._minute_of_day(now)) and self.exempt_until.get(device, 0) <= now

    def _curfew_end(self, limits: Limits, now: float) -> float:
        end = limits.curfew[1]
        day = self.clock.day(now)
        until = self.clock.at(day, end // 60, end % 60)
        return until if until > now else self.clock.at(day + timedelta(days=1), end // 60, end % 60)

    def _budget_until(self, limits: Limits, now: float) -> float:
        midnight = self.clock.next_day_start(now)
        return self._curfew_end(limits, midnight) if limits.in_curfew(0) else midnight

    def _remaining(self, device: str, limits: Limits, now: float) -> float | None:
        if limits.daily_minutes is None:
            return None
        day = self.clock.day(now)
        used = self.book.day_seconds(device, day, self.profile_for(device)) / 60
        return round(max(0.0, limits.daily_minutes + self.extra.get((device, day), 0) - used), 1)

    def _rest_due(self, device: str, limits: Limits, now: float) -> bool:
        if limits.rest_reminder_minutes is None:
            return False
        session = self.book.session(device, now, limits.session_gap_minutes * 60)
        return session is not None and now - session.rest_anchor >= limits.rest_reminder_minutes * 60

    # -- devices ----------------------------------------------------------------------------------

    async def devices(self) -> list[dict]:
        await self.load()
        today = self.clock.day(self.clock.now())
        before = [today - timedelta(days=n) for n in range(1, 8)]
        out = []
        for device in sorted(self.registry.devices.values(), key=lambda d: d.name):
            entry = device.to_dict()
            entry["expected_daily"] = self.book.days_used(device.name, before) >= EXPECTED_DAYS
            out.append(entry)
        return out

    async def set_device(self, name: str, profile: str | None, label: str | None = None) -> dict:
        await self.load()
        name = normal(name) if isinstance(name, str) else name
        if not valid_name(name):
            raise MinorsError(f"bad device name {name!r}: expected user:NAME or addr:IP")
        if profile and not _PROFILE_NAME.match(profile):
            raise MinorsError(f"bad profile name {profile!r}")
        if label is not None:
            label = _CONTROL.sub("", str(label)).strip()[:64]
        device = self.registry.assign(name, profile, label, self.clock.now())
        await self.store.run_write(lambda conn: sql_rows.upsert_device(conn, device))
        return device.to_dict()

    async def remove_device(self, name: str) -> bool:
        await self.load()
        name = normal(name)
        removed = self.registry.remove(name)
        await self.store.run_write(
            lambda conn: conn.execute("DELETE FROM minors_devices WHERE name = ?", (name,)).rowcount)
        return removed

    def assigned_profiles(self) -> set[str]:
        return self.registry.assigned_profiles()

    # -- usage ------------------------------------------------------------------------------------

    async def usage(self, device: str, now: float) -> dict:
        await self.load()
        limits = self.limits_for(device)
        day = self.clock.day(now)
        monday = day - timedelta(days=day.weekday())
        week = [monday + timedelta(days=n) for n in range((day - monday).days + 1)]
        profile = self.profile_for(device)
        session = self.book.session(device, now, limits.session_gap_minutes * 60)
        return {
            "device": device, "profile": profile, "day": day.isoformat(),
            "today_minutes": _minutes(self.book.day_seconds(device, day, profile)),
            "today_all_profiles_minutes": _minutes(self.book.day_seconds(device, day)),
            "week_minutes": _minutes(sum(self.book.day_seconds(device, d) for d in week)),
            "budget_minutes": limits.daily_minutes,
            "remaining_minutes": self._remaining(device, limits, now),
            "extra_minutes": self.extra.get((device, day), 0),
            "session_items": dict(session.items) if session else {},
            "session_started": session.started if session else None,
            "formats": list(self.format_status(device, now).values()),
        }

    # -- what was filtered ------------------------------------------------------------------------

    async def filtered_counts(self, device: str, since: float, until: float) -> dict:
        """Items hidden, blurred or warned on this device in [since, until), by decision and rule."""
        await self.load()
        return await self.store.run_read(
            lambda conn: sql_rows.filtered_counts(conn, device, since, until, FILTERED_DECISIONS))

    def health(self) -> dict:
        """Counters, and which devices are blocked or due a rest reminder right now."""
        now, blocked, rest_due = self.clock.now(), {}, []
        for name in list(self.registry.devices):
            try:
                status = self.status(name, now)
            except Exception as exc:  # health must answer even when a profile's limits break
                self.failed(exc)
                continue
            if status["blocked"]:
                blocked[name] = status["reason"]
            if status["rest_due"]:
                rest_due.append(name)
        return {"devices": len(self.registry.devices), "assigned": len(self.assigned_profiles()),
                "blocked": blocked, "rest_due": rest_due,
                "counters": dict(self.counters), "last_error": self.last_error}

    # -- persistence ------------------------------------------------------------------------------

    async def load(self) -> None:
        """Read devices, recent usage, sessions and today's grants (once; the proxy path needs them)."""
        if self._loaded:
            return
        async with self._load_lock:
            if self._loaded:
                return
            now = self.clock.now()
            oldest = (self.clock.day(now) - timedelta(days=KEEP_DAYS - 1)).isoformat()
            devices, usage, sessions, grants, formats = await self.store.run_read(
                lambda conn: sql_rows.load_rows(conn, oldest))
            for row in devices:
                self.registry.add(Device(normal(row[0]), row[3] or source_of(row[0]), row[1], row[2],
                                         row[4], row[5]))
            self.book.load(usage, sessions, formats)
            for device, minutes, created in grants:
                self._apply_grant(device, minutes, created)
            self._loaded = True

    def _schedule_flush(self) -> None:
        if self._closed or self._flush_handle is not None or self._flushing is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous test): flush() writes it
        self._flush_handle = loop.call_later(FLUSH_DELAY, self._start_flush)

    def _start_flush(self) -> None:
        self._flush_handle = None
        self._flushing = asyncio.ensure_future(self._write_dirty())

    async def close(self) -> None:
        """Write what is left; later changes stay in memory (the store is closing)."""
        await self.flush()
        self._closed = True

    async def flush(self) -> None:
        """Write what changed in memory now (tests, shutdown)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._flushing is not None:
            await asyncio.shield(self._flushing)
        await self._write_dirty(reschedule=False)

    async def _write_dirty(self, reschedule: bool = True) -> None:
        devices = [d for n in self.registry.dirty if (d := self.registry.get(n)) is not None]
        self.registry.dirty = set()
        usage, sessions, formats = self.book.take_dirty()
        try:
            if devices or usage or sessions or formats:
                snapshot = [Device(**d.to_dict()) for d in devices]
                await self.store.run_write(
                    lambda conn: sql_rows.write_rows(conn, snapshot, usage, sessions, formats))
            self._write_failing = False
        except Exception as exc:  # the disk or the store is gone: memory stays in force, retried
            self.counters["write_errors"] += 1
            self.last_error = {"time": time.time(), "error": f"write: {type(exc).__name__}: {exc}"}
            if not self._write_failing:
                log.error("feedlens: minors: could not write usage (will retry): %s", exc)
            self._write_failing = True
            self.registry.dirty |= {d.name for d in devices}
            self.book.dirty_days |= {(d, p, date.fromisoformat(day)) for d, p, day, _ in usage}
            self.book.dirty_sessions |= {row[0] for row in sessions}
            self.book.dirty_formats |= {(d, f, date.fromisoformat(day)) for d, f, day, _ in formats}
        finally:
            if reschedule:
                self._flushing = None
                if (self.registry.dirty or self.book.dirty_days or self.book.dirty_sessions
                        or self.book.dirty_formats):
                    self._schedule_flush()


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _counted_formats(limits: Limits, shown) -> set[str]:
    """What the shown formats count under (format_limits.FormatLimit.usage_key): every format
    as itself, and a limit narrowed to provenances when an item of those was shown."""
    shown = set(shown)
    counted = {name for name in shown if ":" not in name}
    counted.update(limit.usage_key(name) for name, limit in limits.formats.items()
                   if limit.provenance and any(f"{name}:{p}" in shown for p in limit.provenance))
    return counted
