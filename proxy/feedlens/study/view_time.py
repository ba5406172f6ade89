"""The researcher's view over time (the admin page's charts, and the JSON view's `over_time`):
participation per day (active, paused, withdrawn at the end of each UTC day, and how many
uploaded that day), composition per day by provenance, platform and surface across
participants (one scan: GROUPING SETS), and data quality (the rule packs that read the items,
the unknown-provenance and unclaimed-surface rates per platform), and the switch audit pooled
across participants (view_audit.py).

Participation comes from participant_events and upload_days (migration 002, kept by triggers).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from ..model import UNCLAIMED
from . import view_audit

MAX_DAYS = 366  # the charts show at most the last year of a longer study
STATES = ("active", "paused", "withdrawn")
# GROUPING(provenance, platform, surface): the bit of each column left out of the set
FACETS = {0b011: "provenance", 0b101: "platform", 0b110: "surface"}


def study_days(start: str, end: str, today: date | None = None) -> list[date]:
    """The study's UTC days up to today (at most MAX_DAYS, the newest)."""
    today = today or datetime.now(timezone.utc).date()
    first = datetime.fromisoformat(start).astimezone(timezone.utc).date()
    last = min(datetime.fromisoformat(end).astimezone(timezone.utc).date(), today)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def participation(conn, study_id: str, days: list[date]) -> list[dict]:
    """One row per day: participants in each state at the day's end, and who uploaded."""
    events = await conn.fetch("SELECT participant, state, at FROM participant_events"
                              " WHERE study_id = $1 ORDER BY at", study_id)
    uploads = {row["day"]: row for row in await conn.fetch(
        "SELECT day, count(*) AS people, sum(uploads) AS uploads FROM upload_days"
        " WHERE study_id = $1 GROUP BY day", study_id)}
    state: dict[str, str] = {}
    rows, index = [], 0
    for day in days:
        end = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1)
        while index < len(events) and events[index]["at"] < end:
            state[events[index]["participant"]] = events[index]["state"]
            index += 1
        counts = {name: 0 for name in STATES}
        for value in state.values():
            counts[value] += 1
        done = uploads.get(day)
        rows.append({"day": day.isoformat(), **counts,
                     "uploading": done["people"] if done else 0,
                     "uploads": int(done["uploads"]) if done else 0})
    return rows


async def composition(conn, study_id: str, since: date) -> dict[str, list[dict]]:
    """{"provenance"|"platform"|"surface": [{"day", "value", "n"}]} from `since` on."""
    rows = await conn.fetch(
        "SELECT day, provenance, platform, surface, GROUPING(provenance, platform, surface) AS g,"
        " count(*) AS n FROM records WHERE study_id = $1 AND day >= $2"
        " GROUP BY GROUPING SETS ((day, provenance), (day, platform), (day, surface))"
        " ORDER BY day", study_id, since)
    out: dict[str, list[dict]] = {facet: [] for facet in FACETS.values()}
    for row in rows:
        facet = FACETS[row["g"]]
        out[facet].append({"day": row["day"].isoformat(), "value": row[facet] or "unknown",
                           "n": row["n"]})
    return out


async def quality(conn, study_id: str) -> dict:
    packs = await conn.fetch(
        "SELECT pack, count(*) AS items, count(DISTINCT participant) AS people,"
        " min(day) AS first, max(day) AS last FROM records WHERE study_id = $1"
        " GROUP BY pack ORDER BY items DESC", study_id)
    platforms = await conn.fetch(
        "SELECT platform, count(*) AS items,"
        " count(*) FILTER (WHERE provenance IS NULL OR provenance = 'unknown') AS unknown,"
        " count(*) FILTER (WHERE surface = $2 OR endpoint = $2) AS unclaimed"
        " FROM records WHERE study_id = $1 GROUP BY platform ORDER BY items DESC",
        study_id, UNCLAIMED)
    return {
        "packs": [{"pack": r["pack"] or "unknown", "items": r["items"], "people": r["people"],
                   "first": r["first"].isoformat(), "last": r["last"].isoformat()} for r in packs],
        "platforms": [{"platform": r["platform"] or "unknown", "items": r["items"],
                       "unknown": r["unknown"], "unclaimed": r["unclaimed"],
                       "unknown_share": r["unknown"] / r["items"],
                       "unclaimed_share": r["unclaimed"] / r["items"]} for r in platforms],
    }


async def over_time(conn, study: dict, today: date | None = None) -> dict:
    days = study_days(study["start"], study["end"], today)
    since = days[0] if days else date.max
    return {"days": [d.isoformat() for d in days],
            "participation": await participation(conn, study["id"], days),
            "composition": await composition(conn, study["id"], since) if days else
            {facet: [] for facet in FACETS.values()},
            "quality": await quality(conn, study["id"]),
            "switch_audit": await view_audit.pooled(conn, study["id"])}
