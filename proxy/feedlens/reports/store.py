"""SQL for the reports tables; every function takes an open sqlite3 connection.

The service calls these inside `Store.run_write` / `run_read` (one transaction each); the CLI
calls the readers on its own read-only connection.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from .bundle import Part

STATUSES = ("stored", "submitted", "duplicate", "rate_limited", "failed", "manual")
BODY_EXCERPT = 4096  # characters of a platform's answer kept per attempt
_JSON = ("reason", "request")
_LIST_COLUMNS = ("id", "client_request_id", "platform", "kind", "item_id", "category", "reason",
                 "mode", "status", "message", "page_url", "created", "sent", "answered",
                 "answer_ms", "attempts", "last_error")


class StateError(Exception):
    """The report is not in a state that allows this (e.g. retrying a submitted report)."""


@dataclass(frozen=True)
class NewReport:
    client_request_id: str
    platform: str
    kind: str
    item_id: str
    category: str
    reason: dict | None
    mode: str
    page_url: str
    created: float
    request: dict

    @property
    def status(self) -> str:
        return "manual" if self.mode == "manual" else "stored"


# ---- writing -------------------------------------------------------------------------------

def insert(conn: sqlite3.Connection, report: NewReport, parts: list[Part]) -> int:
    """The report, all its evidence parts and (api mode) its first hand-out."""
    sent = report.created if report.mode == "api" else None
    cursor = conn.execute(
        "INSERT INTO reports (client_request_id, platform, kind, item_id, category, reason, mode,"
        " status, page_url, created, sent, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (report.client_request_id, report.platform, report.kind, report.item_id, report.category,
         _dump(report.reason), report.mode, report.status, report.page_url, report.created, sent,
         _dump(report.request)))
    report_id = cursor.lastrowid
    conn.executemany(
        "INSERT INTO report_parts (report_id, position, name, media_type, sha256, bytes)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(report_id, i, p.name, p.media_type, p.sha256, p.data) for i, p in enumerate(parts)])
    if sent is not None:
        _add_attempt(conn, report_id, 1, sent)
    return report_id


def _add_attempt(conn: sqlite3.Connection, report_id: int, number: int, time: float) -> None:
    conn.execute("INSERT INTO report_attempts (report_id, number, time, status)"
                 " VALUES (?, ?, ?, 'sent')", (report_id, number, time))


def record_result(conn: sqlite3.Connection, report_id: int, *, now: float, http_status: int,
                  body: str, error: str | None, status: str, message: str) -> None:
    """The platform's answer to the latest hand-out; only a report awaiting one takes it."""
    report = get(conn, report_id)
    if report["status"] != "stored":
        raise StateError(f"report {report_id} is {report['status']}, not awaiting a result")
    attempt = conn.execute("SELECT id, time FROM report_attempts WHERE report_id = ?"
                           " ORDER BY number DESC LIMIT 1", (report_id,)).fetchone()
    answer_ms = round((now - attempt["time"]) * 1000)
    conn.execute("UPDATE report_attempts SET answered = ?, http_status = ?, body = ?, error = ?,"
                 " status = ? WHERE id = ?",
                 (now, http_status, body[:BODY_EXCERPT], error, status, attempt["id"]))
    conn.execute("UPDATE reports SET status = ?, message = ?, answered = ?, answer_ms = ?,"
                 " attempts = attempts + 1, last_error = ? WHERE id = ?",
                 (status, message, now, answer_ms,
                  (error or message) if status == "failed" else None, report_id))


def give_up_waiting(conn: sqlite3.Connection, report_id: int, now: float, message: str) -> None:
    """A hand-out whose result never came back (browser closed) counts as failed."""
    attempt = conn.execute("SELECT id FROM report_attempts WHERE report_id = ? AND answered IS NULL"
                           " ORDER BY number DESC LIMIT 1", (report_id,)).fetchone()
    if attempt is not None:
        conn.execute("UPDATE report_attempts SET status = 'failed', error = ? WHERE id = ?",
                     (message, attempt["id"]))
    conn.execute("UPDATE reports SET status = 'failed', message = ?, last_error = ? WHERE id = ?",
                 (message, message, report_id))


def begin_retry(conn: sqlite3.Connection, report_id: int, now: float) -> None:
    report = get(conn, report_id)
    if report["status"] != "failed":
        raise StateError(f"only failed reports can be retried; report {report_id} is "
                         f"{report['status']}")
    number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM report_attempts"
                          " WHERE report_id = ?", (report_id,)).fetchone()[0]
    _add_attempt(conn, report_id, number, now)
    conn.execute("UPDATE reports SET status = 'stored', sent = ?, message = NULL WHERE id = ?",
                 (now, report_id))


# ---- reading -------------------------------------------------------------------------------

def find_client_request(conn: sqlite3.Connection, client_request_id: str) -> int | None:
    row = conn.execute("SELECT id FROM reports WHERE client_request_id = ?",
                       (client_request_id,)).fetchone()
    return None if row is None else row[0]


def send_times(conn: sqlite3.Connection, platform: str, since: float) -> list[float]:
    """When requests went (or were handed out) to this platform: hand-outs and manual reports."""
    rows = conn.execute(
        "SELECT a.time FROM report_attempts a JOIN reports r ON r.id = a.report_id"
        " WHERE r.platform = ? AND a.time >= ?"
        " UNION ALL SELECT created FROM reports WHERE platform = ? AND mode = 'manual'"
        " AND created >= ?", (platform, since, platform, since))
    return [row[0] for row in rows]


def get(conn: sqlite3.Connection, report_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
    return None if row is None else _report(row)


def list_reports(conn: sqlite3.Connection, *, status: str | None = None,
                 platform: str | None = None, limit: int = 50,
                 before_id: int | None = None) -> list[dict]:
    """Newest first, without the stored request (see get())."""
    where, params = [], []
    for column, value in (("status", status), ("platform", platform)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if before_id is not None:
        where.append("id < ?")
        params.append(before_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"SELECT {', '.join(_LIST_COLUMNS)} FROM reports {clause}"
                        " ORDER BY id DESC LIMIT ?", (*params, limit))
    return [_report(row) for row in rows]


def parts(conn: sqlite3.Connection, report_id: int) -> list[Part]:
    rows = conn.execute("SELECT name, media_type, bytes FROM report_parts WHERE report_id = ?"
                        " ORDER BY position", (report_id,))
    return [Part(row[0], row[1], bytes(row[2])) for row in rows]


def part(conn: sqlite3.Connection, report_id: int, name: str) -> Part | None:
    row = conn.execute("SELECT name, media_type, bytes FROM report_parts WHERE report_id = ?"
                       " AND name = ?", (report_id, name)).fetchone()
    return None if row is None else Part(row[0], row[1], bytes(row[2]))


def part_index(conn: sqlite3.Connection, report_id: int) -> list[dict]:
    rows = conn.execute("SELECT name, media_type, sha256, length(bytes) AS size FROM report_parts"
                        " WHERE report_id = ? ORDER BY position", (report_id,))
    return [dict(zip(("name", "media_type", "sha256", "size"), row)) for row in rows]


def attempts(conn: sqlite3.Connection, report_id: int) -> list[dict]:
    rows = conn.execute("SELECT number, time, answered, http_status, status, error, body"
                        " FROM report_attempts WHERE report_id = ? ORDER BY number", (report_id,))
    keys = ("number", "time", "answered", "http_status", "status", "error", "body")
    return [dict(zip(keys, row)) for row in rows]


def has_tables(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reports'"
                        ).fetchone() is not None


def _report(row) -> dict:
    data = dict(zip(row.keys(), tuple(row)))
    for column in _JSON:
        if data.get(column) is not None:
            data[column] = json.loads(data[column])
    return data


def _dump(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
