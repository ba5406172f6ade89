"""The admin page's charts as inline SVG, drawn on the server like the local dashboard's
(feedlens.research.charts: no script, classes instead of style attributes, a <title> and
<desc> for screen readers, a <title> per bar segment, every text escaped there).

Provenance over time is the dashboard's own stacked_days chart; participation, platform and
surface use the same bars with their own categories: participant states have fixed colours
(`.s-*`), platforms and surfaces the most frequent eight a colour each (`.k0`–`.k7`) and the
rest together as "other" (`.k-other`).
"""

from __future__ import annotations

from ..research.charts import stacked, stacked_days

__all__ = ["categorical", "participation", "stacked", "stacked_days"]

TOP = 8
OTHER = "other"


def participation(chart_id: str, rows: list[dict], names: dict[str, str], title: str,
                  desc: str) -> str:
    """Participants per day by state at the day's end (active at the bottom)."""
    order = ["active", "paused", "withdrawn"]
    counts = {r["day"]: {s: r[s] for s in order} for r in rows}
    return stacked(chart_id, [r["day"] for r in rows], counts, order,
                   {s: f"s-{s}" for s in order}, names, title, desc)


def categorical(rows: list[dict]) -> tuple[dict[str, dict[str, int]], list[str], dict[str, str]]:
    """(counts per day and value, the values bottom first, their classes) from rows of
    {"day", "value", "n"}: the TOP most frequent values, the rest summed as OTHER."""
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["value"]] = totals.get(row["value"], 0) + row["n"]
    ranked = sorted(totals, key=lambda v: (-totals[v], v))
    kept = ranked[:TOP]
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        value = row["value"] if row["value"] in kept else OTHER
        per = counts.setdefault(row["day"], {})
        per[value] = per.get(value, 0) + row["n"]
    order = kept + ([OTHER] if len(ranked) > len(kept) else [])
    classes = {value: f"k{i}" for i, value in enumerate(kept)} | {OTHER: "k-other"}
    return counts, order, classes
