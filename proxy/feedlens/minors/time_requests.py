"""A child asks for more time; the parent approves (with the minutes asked or others) or declines.

A mixin of Minors: it shares its store, clock, registry and the in-memory grants (`extra`,
`exempt_until`) that the proxy path reads.
"""

from __future__ import annotations

import re

from . import rows as sql_rows
from .devices import valid_name
from .errors import MinorsError, NotFound

MAX_PENDING = 5  # pending time requests per device: a child (or a web page) cannot flood the parent
MAX_PENDING_HOUSEHOLD = 20  # ... nor by inventing proxy user names: all devices together
MAX_REQUEST_MINUTES = 240
MAX_NOTE = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class TimeRequests:
    async def time_requests(self, status: str | None = "pending") -> list[dict]:
        await self.load()
        sql, params = "SELECT * FROM minors_time_requests", ()
        if status:
            sql, params = sql + " WHERE status = ?", (status,)
        rows = await self.store.run_read(
            lambda conn: conn.execute(sql + " ORDER BY id DESC LIMIT 500", params).fetchall())
        return [sql_rows.request_dict(row) for row in rows]

    async def add_time_request(self, device: str, minutes: int, note: str | None) -> dict:
        await self.load()
        minutes = _check_minutes(minutes)
        note = _CONTROL.sub("", note or "").strip()[:MAX_NOTE] or None
        now = self.clock.now()

        try:
            row = await self.store.run_write(lambda conn: sql_rows.add_request(
                conn, device, minutes, note, now, MAX_PENDING, MAX_PENDING_HOUSEHOLD))
        except sql_rows.HouseholdFull:
            raise MinorsError(f"the household has {MAX_PENDING_HOUSEHOLD} pending time requests: "
                              "the parent answers those first") from None
        self.counters["time_requests"] += 1
        if self.registry.seen(device, now) is not None:
            self._schedule_flush()
        return sql_rows.request_dict(row)

    async def decide_time_request(self, id: int, approve: bool, minutes: int | None = None) -> dict:
        await self.load()
        rows = await self.store.run_read(lambda conn: conn.execute(
            "SELECT * FROM minors_time_requests WHERE id = ?", (int(id),)).fetchall())
        if not rows:
            raise NotFound(f"no time request {id}")
        request = sql_rows.request_dict(rows[0])
        if request["status"] != "pending":
            raise MinorsError(f"time request {id} is already {request['status']}")
        now = self.clock.now()
        granted = _check_minutes(minutes if minutes is not None else request["minutes"]) if approve else None
        status = "approved" if approve else "declined"

        def decide(conn):
            changed = conn.execute("UPDATE minors_time_requests SET status = ?, decided = ?, granted = ?"
                                   " WHERE id = ? AND status = 'pending'", (status, now, granted, int(id)))
            if changed.rowcount and approve:
                self._insert_grant(conn, request["device"], granted, now, int(id))
            return changed.rowcount
        if not await self.store.run_write(decide):
            raise MinorsError(f"time request {id} was decided meanwhile")
        if approve:
            self._apply_grant(request["device"], granted, now)
        request.update(status=status, decided=now, granted=granted)
        return request

    async def grant(self, device: str, minutes: int, now: float) -> None:
        await self.load()
        if not valid_name(device):
            raise MinorsError(f"bad device name {device!r}")
        minutes = _check_minutes(minutes)
        await self.store.run_write(lambda conn: self._insert_grant(conn, device, minutes, now, None))
        self._apply_grant(device, minutes, now)

    def _insert_grant(self, conn, device: str, minutes: int, now: float, request_id: int | None) -> None:
        conn.execute("INSERT INTO minors_grants (device, day, minutes, created, request_id) VALUES"
                     " (?, ?, ?, ?, ?)", (device, self.clock.day(now).isoformat(), minutes, now, request_id))

    def _apply_grant(self, device: str, minutes: int, created: float) -> None:
        """Extra budget for the grant's local day; granted during curfew, it also opens the curfew."""
        key = (device, self.clock.day(created))
        self.extra[key] = self.extra.get(key, 0) + minutes
        if self.limits_for(device).in_curfew(self._minute_of_day(created)):
            self.exempt_until[device] = max(self.exempt_until.get(device, 0), created + minutes * 60)



def _check_minutes(minutes) -> int:
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise MinorsError(f"minutes must be a whole number, not {minutes!r}") from None
    if isinstance(minutes, bool) or not 1 <= value <= MAX_REQUEST_MINUTES:
        raise MinorsError(f"minutes must be between 1 and {MAX_REQUEST_MINUTES}")
    return value
