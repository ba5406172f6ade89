"""The monthly personal report: one calendar month of the user's own feed, from the item log.

Composition by platform and provenance, provenance × format (what each provenance brought:
short videos, images, articles, …), the top sources, and how each provenance's share moved
against the previous month (in percentage points).
"""

from __future__ import annotations

import re
from datetime import datetime

from . import queries
from ..model import provenance_rank
from .charts import shares_of, source_row
from .format_charts import breakdown

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TOP_SOURCES = 10


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a month written YYYY-MM")
    return int(match[1]), int(match[2])


def month_name(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def following(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_span(year: int, month: int) -> tuple[float, float]:
    """Local midnight of the month's first day to that of the next month's."""
    def start(y: int, m: int) -> float:
        return datetime(y, m, 1).astimezone().timestamp()
    return start(year, month), start(*following(year, month))


def current_month(now: float) -> tuple[int, int]:
    local = datetime.fromtimestamp(now)
    return local.year, local.month


async def composition(store, year: int, month: int) -> dict:
    since, until = month_span(year, month)
    rows = await queries.composition(store, since, until, bucket="day", source="items")
    summary = shares_of(rows)
    return {"month": month_name(year, month), "since": since, "until": until,
            "items": summary["all"]["items"], "all": summary["all"],
            "platforms": summary["platforms"]}


async def report(store, year: int, month: int) -> dict:
    this = await composition(store, year, month)
    before = await composition(store, *previous(year, month))
    sources = await queries.top_sources(store, this["since"], this["until"], TOP_SOURCES)
    formats = await breakdown(store, this["since"], this["until"])
    return {
        "month": this["month"], "since": this["since"], "until": this["until"],
        "next_month": month_name(*following(year, month)),
        "items": this["items"], "all": this["all"], "platforms": this["platforms"],
        "formats": formats["matrix"],  # {provenance: {format: n}}
        "top_sources": [source_row(r) for r in sources],
        "previous": {"month": before["month"], "items": before["items"], "all": before["all"]},
        "changes": share_changes(this["all"], before["all"]),
    }


def share_changes(now: dict, before: dict) -> list[dict]:
    """Per provenance: share this month, last month, and the change in percentage points
    (None when either month has no items, so no share)."""
    provenances = sorted(set(now["counts"]) | set(before["counts"]), key=provenance_rank)
    out = []
    for provenance in provenances:
        share = now["shares"].get(provenance, 0.0) if now["items"] else None
        earlier = before["shares"].get(provenance, 0.0) if before["items"] else None
        change = (share - earlier) * 100 if share is not None and earlier is not None else None
        out.append({"provenance": provenance, "share": share, "previous": earlier,
                    "change_pp": change})
    return out
