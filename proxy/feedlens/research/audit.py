"""The switch audit: does the feed change when platform personalisation is switched off?

A session belongs to one platform. The participant marks when condition "on" (platform
personalisation on) and "off" begin; each mark opens a time window that lasts until the next
mark or the end of the session. Items of that platform logged inside a window count for its
condition (the items table already holds each item's provenance and the response it came in),
so the audit stores only its sessions and marks (audit_schema.py).

A session may instead take its condition from the switch state the choice watchdog observes
(`condition_from="observed"`, audit_observed.py): each confirmed change of that platform's state
is a switch, with its source kept. Such a session refuses manual marks, so every window has one
kind of source and the report says what it rests on.

The report compares the personalised share of the two conditions: a Wilson score interval for
each share, a pooled two-proportion z-test for the difference, and — because items arrive in
responses that the platform composes as a whole, so they are not independent — a
cluster-robust check that treats each response as one unit.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

CONDITIONS = ("on", "off")
CONDITION_FROM = ("manual", "observed")
PERSONALIZED = "personalized"
Z95 = 1.959963984540054  # the standard normal's 97.5th percentile: two-sided 95 %
FEW_ITEMS = 30           # below this, a condition's interval is wide: say so
FEW_RESPONSES = 10       # below this, the cluster-robust standard error is unreliable
LOW_CONFIDENCE = 0.8     # adapter confidence below which provenance labels are doubtful
MAX_NOTE = 500


class AuditNotFound(LookupError):
    pass


class AuditStateError(ValueError):
    """The request does not fit the session's state (finished, same condition twice…)."""


# ---- statistics ----------------------------------------------------------------------------

def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes in n trials (None when n is 0)."""
    if n == 0:
        return None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float] | None:
    """Pooled two-proportion z statistic for p1 - p2 and its two-sided p-value."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:  # both shares 0 or both 1: no evidence of a difference, no statistic
        return None
    z = (k1 / n1 - k2 / n2) / se
    return z, two_sided_p(z)


def two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def newcombe_difference(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float] | None:
    """95 % interval for p1 - p2 from the two Wilson intervals (Newcombe's method 10)."""
    first, second = wilson(k1, n1), wilson(k2, n2)
    if first is None or second is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = first, second
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def cluster_se(clusters: list[tuple[int, int]]) -> float | None:
    """Cluster-robust standard error of the pooled share sum(k)/sum(n), one cluster per
    response (the ratio estimator's sandwich variance with the m/(m-1) correction)."""
    m = len(clusters)
    total = sum(n for _, n in clusters)
    if m < 2 or total == 0:
        return None
    share = sum(k for k, _ in clusters) / total
    spread = sum((k - share * n) ** 2 for k, n in clusters)
    return math.sqrt(m / (m - 1) * spread) / total


def response_mean(clusters: list[tuple[int, int]]) -> tuple[float, float | None] | None:
    """Mean of the per-response shares and its standard error (each response weighs the same)."""
    shares = [k / n for k, n in clusters if n]
    if not shares:
        return None
    mean = sum(shares) / len(shares)
    if len(shares) < 2:
        return mean, None
    variance = sum((s - mean) ** 2 for s in shares) / (len(shares) - 1)
    return mean, math.sqrt(variance / len(shares))


# ---- sessions ------------------------------------------------------------------------------

@dataclass
class Session:
    id: int
    platform: str
    note: str | None
    started: float
    finished: float | None
    switches: list[tuple[float, str]]  # (time, condition), in time order
    condition_from: str = "manual"  # or "observed": switches follow the observed switch state
    sources: list[dict] = field(default_factory=list)  # per switch: source, rule, kind

    @property
    def condition(self) -> str | None:
        """The condition in force now (None before the first mark or once finished)."""
        if self.finished is not None or not self.switches:
            return None
        return self.switches[-1][1]

    def windows(self, now: float) -> list[tuple[str, float, float]]:
        """(condition, start, end) for each mark: until the next mark, the finish, or now."""
        end_of_session = self.finished if self.finished is not None else now
        ends = [t for t, _ in self.switches[1:]] + [end_of_session]
        return [(c, t, end) for (t, c), end in zip(self.switches, ends) if end > t]

    def to_dict(self) -> dict:
        return {"id": self.id, "platform": self.platform, "note": self.note,
                "started": self.started, "finished": self.finished, "condition": self.condition,
                "condition_from": self.condition_from,
                "switches": [{"time": t, "condition": c, **source}
                             for (t, c), source in zip(self.switches, self.sources)]}


def _load(conn: sqlite3.Connection, session_id: int) -> Session:
    row = conn.execute("SELECT id, platform, note, started, finished, condition_from"
                       " FROM audit_sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise AuditNotFound(f"no audit session {session_id}")
    switches = conn.execute("SELECT time, condition, source, rule, kind FROM audit_switches"
                            " WHERE session_id = ? ORDER BY time, id", (session_id,)).fetchall()
    return Session(row[0], row[1], row[2], row[3], row[4], [(s[0], s[1]) for s in switches],
                   row[5], [{"source": s[2], "rule": s[3], "kind": s[4]} for s in switches])


async def start(store, platform: str, note: str | None, now: float,
                condition: str | None = None, condition_from: str = "manual") -> Session:
    """A new session; with `condition`, its first window opens at once. With `condition_from`
    "observed", the first confirmed observation of the platform's switch opens it."""
    def insert(conn: sqlite3.Connection) -> Session:
        session_id = conn.execute("INSERT INTO audit_sessions (platform, note, started,"
                                  " condition_from) VALUES (?, ?, ?, ?)",
                                  (platform, note, now, condition_from)).lastrowid
        if condition is not None:
            _mark(conn, session_id, condition, now)
        return _load(conn, session_id)
    _check_condition(condition, allow_none=True)
    if condition_from not in CONDITION_FROM:
        raise AuditStateError(f"condition_from must be one of {', '.join(CONDITION_FROM)}")
    if condition_from == "observed" and condition is not None:
        raise AuditStateError("a session following the observed state takes no first condition")
    return await store.run_write(insert)


async def switch(store, session_id: int, condition: str, now: float) -> Session:
    """Mark that `condition` begins now."""
    def update(conn: sqlite3.Connection) -> Session:
        session = _load(conn, session_id)
        if session.finished is not None:
            raise AuditStateError("this audit session is finished")
        if session.condition_from == "observed":
            raise AuditStateError("this session takes its condition from the observed switch "
                                  "state: it cannot be marked by hand")
        if session.condition == condition:
            raise AuditStateError(f"the session is already in condition {condition!r}")
        if session.switches and now < session.switches[-1][0]:
            raise AuditStateError("a mark cannot come before the previous one")
        _mark(conn, session_id, condition, now)
        return _load(conn, session_id)
    _check_condition(condition)
    return await store.run_write(update)


async def finish(store, session_id: int, now: float) -> Session:
    def update(conn: sqlite3.Connection) -> Session:
        session = _load(conn, session_id)
        if session.finished is not None:
            raise AuditStateError("this audit session is already finished")
        conn.execute("UPDATE audit_sessions SET finished = ? WHERE id = ?", (now, session_id))
        return _load(conn, session_id)
    return await store.run_write(update)


async def get(store, session_id: int) -> Session:
    return await store.run_read(lambda conn: _load(conn, session_id))


async def list_sessions(store, limit: int = 100) -> list[Session]:
    def read(conn: sqlite3.Connection) -> list[Session]:
        ids = [r[0] for r in conn.execute("SELECT id FROM audit_sessions ORDER BY id DESC LIMIT ?",
                                          (limit,))]
        return [_load(conn, i) for i in ids]
    return await store.run_read(read)


def _mark(conn: sqlite3.Connection, session_id: int, condition: str, now: float,
          source: str = "manual", rule: str | None = None, kind: str | None = None) -> None:
    conn.execute("INSERT INTO audit_switches (session_id, time, condition, source, rule, kind)"
                 " VALUES (?, ?, ?, ?, ?, ?)", (session_id, now, condition, source, rule, kind))


def _check_condition(condition: str | None, allow_none: bool = False) -> None:
    if condition is None and allow_none:
        return
    if condition not in CONDITIONS:
        raise AuditStateError(f"condition must be one of {', '.join(CONDITIONS)}")


# ---- the items of each condition ------------------------------------------------------------

@dataclass
class ConditionData:
    windows: list[tuple[float, float]]
    clusters: list[tuple[int, int]]        # (personalised, items) per response
    by_provenance: dict[str, int]
    confidence_sum: float = 0.0
    confidence_n: int = 0

    @property
    def items(self) -> int:
        return sum(n for _, n in self.clusters)

    @property
    def personalized(self) -> int:
        return sum(k for k, _ in self.clusters)


def _condition_data(conn: sqlite3.Connection, session: Session, now: float) -> dict[str, ConditionData]:
    data = {c: ConditionData([], [], {}) for c in CONDITIONS}
    for condition, begin, end in session.windows(now):
        into = data[condition]
        into.windows.append((begin, end))
        span = (session.platform, begin, end)
        for k, n, conf_sum, conf_n in conn.execute(
                "SELECT SUM(provenance = ?), COUNT(*), SUM(confidence), COUNT(confidence)"
                " FROM items WHERE platform = ? AND time >= ? AND time < ? GROUP BY response_id",
                (PERSONALIZED, *span)):
            into.clusters.append((k, n))
            into.confidence_sum += conf_sum or 0.0
            into.confidence_n += conf_n
        for provenance, n in conn.execute(
                "SELECT provenance, COUNT(*) FROM items WHERE platform = ? AND time >= ?"
                " AND time < ? GROUP BY provenance", span):
            into.by_provenance[provenance] = into.by_provenance.get(provenance, 0) + n
    return data


# The condition in force for a record `r` (research export): the latest mark at or before its
# time among its platform's sessions not finished by then, i.e. the window that holds it (the
# same windows as Session.windows), or NULL outside every session.
CONDITION_AT = ("SELECT w.condition FROM audit_switches w JOIN audit_sessions a"
                " ON a.id = w.session_id WHERE a.platform = r.platform AND w.time <= r.time"
                " AND (a.finished IS NULL OR r.time < a.finished)"
                " ORDER BY w.time DESC, w.id DESC LIMIT 1")


# ---- the report ----------------------------------------------------------------------------

async def report(store, session_id: int, now: float) -> dict:
    def read(conn: sqlite3.Connection) -> tuple[Session, dict[str, ConditionData]]:
        session = _load(conn, session_id)
        return session, _condition_data(conn, session, now)
    session, data = await store.run_read(read)
    return build_report(session, data, now)


def build_report(session: Session, data: dict[str, ConditionData], now: float) -> dict:
    conditions = {c: _condition_summary(d) for c, d in data.items()}
    on, off = data["on"], data["off"]
    return {
        "session": session.to_dict(), "generated": now, "personalized": PERSONALIZED,
        "conditions": conditions,
        "test": difference_test(on, off), "cluster_test": cluster_test(on, off),
        "caveats": _caveats(session, data, conditions),
    }


def _condition_summary(d: ConditionData) -> dict:
    n, k = d.items, d.personalized
    interval = wilson(k, n)
    mean = response_mean(d.clusters)
    return {
        "windows": [list(w) for w in d.windows], "items": n, "responses": len(d.clusters),
        "personalized": k, "share": k / n if n else None,
        "ci95": list(interval) if interval else None,
        "by_provenance": dict(sorted(d.by_provenance.items())),
        "unknown_share": d.by_provenance.get("unknown", 0) / n if n else None,
        "mean_confidence": d.confidence_sum / d.confidence_n if d.confidence_n else None,
        "response_mean_share": mean[0] if mean else None,
        "response_mean_se": mean[1] if mean else None,
        "cluster_se": cluster_se(d.clusters),
    }


def difference_test(on: ConditionData, off: ConditionData) -> dict:
    args = (on.personalized, on.items, off.personalized, off.items)
    result = two_proportion_z(*args)
    interval = newcombe_difference(*args)
    return {
        "name": "two-proportion z-test (pooled, two-sided); difference interval: Newcombe (Wilson)",
        "difference": on.personalized / on.items - off.personalized / off.items
        if on.items and off.items else None,
        "difference_ci95": list(interval) if interval else None,
        "z": result[0] if result else None, "p_value": result[1] if result else None,
    }


def cluster_test(on: ConditionData, off: ConditionData) -> dict:
    se_on, se_off = cluster_se(on.clusters), cluster_se(off.clusters)
    out = {"name": "cluster-robust z-test, one cluster per response", "z": None,
           "p_value": None, "se": None, "not_computed": None}
    if se_on is None or se_off is None:
        out["not_computed"] = "too_few_responses"  # each condition needs two responses
        return out
    se = math.sqrt(se_on ** 2 + se_off ** 2)
    out["se"] = se
    if se == 0:
        out["not_computed"] = "no_spread"  # every response had the same share: no z
        return out
    z = (on.personalized / on.items - off.personalized / off.items) / se
    out.update(se=se, z=z, p_value=two_sided_p(z))
    return out


def _caveats(session: Session, data: dict[str, ConditionData], conditions: dict) -> list[dict]:
    """Codes (with numbers) that the page turns into sentences; the first three always hold."""
    caveats = [{"code": "provenance_labels"}, {"code": "time_of_day",
               "windows": sum(len(d.windows) for d in data.values())},
               {"code": "clustering"}]
    if session.finished is None:
        caveats.append({"code": "unfinished"})
    caveats += sample_caveats(conditions)
    caveats.append({"code": "adapter_confidence"})
    return caveats


def sample_caveats(conditions: dict) -> list[dict]:
    """What each condition's own numbers warn of (empty, few items, few responses, doubtful
    labels); the study server's pooled audit says the same of its pooled numbers."""
    caveats = []
    for condition, summary in conditions.items():
        if summary["items"] == 0:
            caveats.append({"code": "empty_condition", "condition": condition})
        elif summary["items"] < FEW_ITEMS:
            caveats.append({"code": "few_items", "condition": condition, "n": summary["items"]})
        if 0 < summary["responses"] < FEW_RESPONSES:
            caveats.append({"code": "few_responses", "condition": condition,
                            "n": summary["responses"]})
        confidence = summary.get("mean_confidence")
        if confidence is not None and confidence < LOW_CONFIDENCE:
            caveats.append({"code": "low_confidence", "condition": condition,
                            "mean": round(confidence, 3)})
    return caveats
