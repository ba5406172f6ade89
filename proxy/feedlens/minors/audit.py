"""The parent's audit log: every change to locked settings and every refusal, in SQLite."""

from __future__ import annotations

import time

OUTCOMES = ("allowed", "allowed_with_pin", "refused_no_pin", "refused_wrong_pin",
            "refused_locked_out", "refused_pin_unset", "pin_set", "pin_reset",
            "refused_wrong_recovery", "unlocked", "confirmed",
            # household mode (service/household*.py, enrol_device.py)
            "login", "refused_login_form", "refused_token", "allowed_enrolment")
MAX_DETAIL = 500


async def record(store, *, route: str, outcome: str, method: str | None = None,
                 profile: str | None = None, device: str | None = None,
                 detail: str | None = None, now: float | None = None) -> int:
    """Append one row; returns its id."""
    row = (time.time() if now is None else now, method, route, profile, device, outcome,
           (detail or "")[:MAX_DETAIL] or None)
    return await store.run_write(lambda conn: conn.execute(
        "INSERT INTO parent_audit (time, method, route, profile, device, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)", row).lastrowid)


async def entries(store, *, limit: int = 100, before_id: int | None = None,
                  device: str | None = None) -> list[dict]:
    """Newest first; page with `before_id`."""
    where, params = [], []
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    if device is not None:
        where.append("device = ?")
        params.append(device)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = f"SELECT * FROM parent_audit {clause} ORDER BY id DESC LIMIT ?"

    def read(conn):
        return [dict(row) for row in conn.execute(sql, (*params, limit))]
    return await store.run_read(read)
