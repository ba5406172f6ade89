"""The SQLite rows behind `Minors` (state.py): devices, usage and sessions written in one
batch, time requests, and the counts of what was filtered on a device. Plain functions of a
connection, run on the store's reader or writer thread.
"""

from __future__ import annotations

import json

from .devices import Device


def load_rows(conn, oldest: str):
    devices = conn.execute("SELECT name, label, profile, source, first_seen, last_seen "
                           "FROM minors_devices").fetchall()
    usage = conn.execute("SELECT device, profile, day, seconds FROM minors_usage WHERE day >= ?",
                         (oldest,)).fetchall()
    sessions = conn.execute("SELECT device, profile, started, last, rest_anchor, items, formats "
                            "FROM minors_sessions").fetchall()
    formats = conn.execute("SELECT device, format, day, seconds FROM minors_format_usage WHERE day >= ?",
                           (oldest,)).fetchall()
    grants = conn.execute("SELECT device, minutes, created FROM minors_grants WHERE day >= ?",
                          (oldest,)).fetchall()
    return ([tuple(r) for r in devices], [tuple(r) for r in usage], [tuple(r) for r in sessions],
            [tuple(r) for r in grants], [tuple(r) for r in formats])


def upsert_device(conn, device: Device) -> None:
    conn.execute(
        "INSERT INTO minors_devices (name, label, profile, source, first_seen, last_seen)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET label = excluded.label,"
        " profile = excluded.profile, first_seen = COALESCE(minors_devices.first_seen,"
        " excluded.first_seen), last_seen = MAX(COALESCE(minors_devices.last_seen, 0),"
        " COALESCE(excluded.last_seen, 0))",
        (device.name, device.label, device.profile, device.source, device.first_seen, device.last_seen))


def write_rows(conn, devices: list[Device], usage: list[tuple], sessions: list[tuple],
               formats: list[tuple] = ()) -> None:
    for device in devices:
        conn.execute(
            "INSERT INTO minors_devices (name, source, first_seen, last_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET last_seen = MAX(COALESCE(minors_devices.last_seen, 0),"
            " excluded.last_seen)", (device.name, device.source, device.first_seen, device.last_seen))
    conn.executemany("INSERT INTO minors_usage (device, profile, day, seconds) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT(device, profile, day) DO UPDATE SET seconds = excluded.seconds", usage)
    conn.executemany("INSERT INTO minors_sessions (device, profile, started, last, rest_anchor, items,"
                     " formats) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(device) DO UPDATE SET"
                     " profile = excluded.profile, started = excluded.started, last = excluded.last,"
                     " rest_anchor = excluded.rest_anchor, items = excluded.items,"
                     " formats = excluded.formats", sessions)
    conn.executemany("INSERT INTO minors_format_usage (device, format, day, seconds) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT(device, format, day) DO UPDATE SET seconds = excluded.seconds", formats)


def request_dict(row) -> dict:
    keys = ("id", "device", "minutes", "note", "created", "status", "decided", "granted")
    return {key: row[key] for key in keys}


class HouseholdFull(Exception):
    """The household has max_household pending requests (from any number of device names)."""


def add_request(conn, device: str, minutes: int, note: str | None, now: float,
                max_pending: int, max_household: int | None = None):
    """A new pending request, or the newest pending one when the device has max_pending;
    HouseholdFull when all devices together have max_household (invented names add none)."""
    pending = conn.execute("SELECT * FROM minors_time_requests WHERE device = ? AND "
                           "status = 'pending' ORDER BY id DESC", (device,)).fetchall()
    if len(pending) >= max_pending:
        return pending[0]
    total = conn.execute("SELECT COUNT(*) FROM minors_time_requests WHERE status = 'pending'").fetchone()[0]
    if max_household is not None and total >= max_household:
        if pending:
            return pending[0]
        raise HouseholdFull()
    cursor = conn.execute("INSERT INTO minors_time_requests (device, minutes, note, created,"
                          " status) VALUES (?, ?, ?, ?, 'pending')", (device, minutes, note, now))
    return conn.execute("SELECT * FROM minors_time_requests WHERE id = ?",
                        (cursor.lastrowid,)).fetchone()


def filtered_counts(conn, device: str, since: float, until: float, decisions: tuple) -> dict:
    """Items with one of `decisions` on this device in [since, until), by decision, rule and
    category."""
    marks = ",".join("?" * len(decisions))
    sql = (f"SELECT i.decision, i.decision_rule, i.labels, COUNT(*) FROM items i JOIN responses r"
           f" ON i.response_id = r.id WHERE r.device = ? AND i.time >= ? AND i.time < ?"
           f" AND i.decision IN ({marks}) GROUP BY 1, 2, 3")
    out = {"total": 0, "by_decision": {}, "by_rule": {}, "by_category": {}}
    for decision, rule, labels, n in conn.execute(sql, (device, since, until, *decisions)):
        out["total"] += n
        _bump(out["by_decision"], decision, n)
        _bump(out["by_rule"], rule or "(none)", n)
        for category in _categories(labels):
            _bump(out["by_category"], category, n)
    return out


def _bump(counts: dict, key, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _categories(labels_json: str | None) -> list[str]:
    """Category ids among an item's labels (dotted, like cn.bad.gore_shock)."""
    try:
        labels = json.loads(labels_json or "[]")
    except ValueError:
        return []
    return [label for label in labels if isinstance(label, str) and "." in label]
