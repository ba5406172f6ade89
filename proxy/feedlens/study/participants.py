"""A participant's side of the server: who signs (their key), withdrawal and deletion with a
receipt, pause and resume, and the retention run that deletes records past the study's
retention on the server too."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from .records import Enrolled, day_of
from .studies import StudyError

DAY = 86400.0


async def load(conn, study_id: str, participant: str) -> tuple[bytes, Enrolled, str] | None:
    """(key, what they agreed to, state) of a participant, or None."""
    row = await conn.fetchrow(
        "SELECT p.key, p.consent_version, p.fields, p.state, s.starts, s.ends FROM participants p"
        " JOIN studies s ON s.id = p.study_id WHERE p.study_id = $1 AND p.id = $2",
        study_id, participant)
    if row is None:
        return None
    enrolled = Enrolled(study_id, participant, row["consent_version"], frozenset(row["fields"]),
                        row["starts"].timestamp(), row["ends"].timestamp())
    return bytes(row["key"]), enrolled, row["state"]


async def _receipt(conn, study_id, participant, action, deleted, since=None, until=None) -> dict:
    receipt = secrets.token_hex(12)
    created = await conn.fetchval(
        "INSERT INTO receipts (id, study_id, participant, action, since, until, deleted)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created",
        receipt, study_id, participant, action, since, until, deleted)
    return {"receipt": receipt, "study_id": study_id, "participant": participant, "action": action,
            "since": since, "until": until, "deleted": deleted, "time": created.isoformat()}


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def withdraw(conn, study_id: str, participant: str) -> dict:
    """Delete every record of the participant and mark them withdrawn; their key stops working."""
    async with conn.transaction():
        deleted = _count(await conn.execute(
            "DELETE FROM records WHERE study_id = $1 AND participant = $2", study_id, participant))
        await conn.execute("UPDATE participants SET state = 'withdrawn', state_changed = now()"
                           " WHERE study_id = $1 AND id = $2", study_id, participant)
        return await _receipt(conn, study_id, participant, "withdraw", deleted)


def _span(since, until) -> tuple[float, float]:
    low = -1e18 if since is None else since
    high = 1e18 if until is None else until
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StudyError("since and until: unix seconds or null")
    if low >= high:
        raise StudyError("since must be before until")
    return float(low), float(high)


async def delete(conn, study_id: str, participant: str, since, until) -> dict:
    """Delete the participant's records seen in [since, until), as they did on their side."""
    low, high = _span(since, until)
    async with conn.transaction():
        where = "study_id = $1 AND participant = $2 AND time >= $3 AND time < $4"
        params = [study_id, participant, low, high]
        if low > -1e17 and high < 1e17:  # partition pruning: only the days in range
            where += " AND day BETWEEN $5 AND $6"
            params += [day_of(low), day_of(high)]
        deleted = _count(await conn.execute(f"DELETE FROM records WHERE {where}", *params))
        return await _receipt(conn, study_id, participant, "delete", deleted, since, until)


async def set_paused(conn, study_id: str, participant: str, paused: bool) -> str:
    state = "paused" if paused else "active"
    await conn.execute("UPDATE participants SET state = $3, state_changed = now()"
                       " WHERE study_id = $1 AND id = $2 AND state <> 'withdrawn'",
                       study_id, participant, state)
    return state


async def expire(conn, now: float | None = None) -> int:
    """Delete records older than their study's retention; returns how many."""
    now = datetime.now(timezone.utc).timestamp() if now is None else now
    removed = 0
    for row in await conn.fetch("SELECT id, retention_days FROM studies"):
        cutoff = now - row["retention_days"] * DAY
        removed += _count(await conn.execute(
            "DELETE FROM records WHERE study_id = $1 AND day <= $2 AND time < $3",
            row["id"], day_of(cutoff), cutoff))
    await drop_empty_partitions(conn, now)
    return removed


async def drop_empty_partitions(conn, now: float) -> None:
    """Old day partitions left empty by retention are dropped (cheaper than vacuuming them)."""
    longest = await conn.fetchval("SELECT coalesce(max(retention_days), 0) FROM studies")
    cutoff = day_of(now - longest * DAY)
    names = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'records'")
    for (name,) in names:
        day = datetime.strptime(name.removeprefix("records_"), "%Y%m%d").date()
        if day < cutoff and not await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {name})"):
            await conn.execute(f"DROP TABLE {name}")
