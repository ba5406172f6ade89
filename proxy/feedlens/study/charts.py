"""The admin page's charts as inline SVG, drawn on the server like the local dashboard's
(feedlens.research.charts: no script, classes instead of style attributes, a <title> and
<desc> for screen readers, a <title> per bar segment, every text escaped here).

Provenance over time is the dashboard's own stacked_days chart; participation, platform and
surface use the same bars with their own categories: participant states have fixed colours
(`.s-*`), platforms and surfaces the most frequent eight a colour each (`.k0`–`.k7`) and the
rest together as "other" (`.k-other`).
"""

from __future__ import annotations

from html import escape

from ..research.charts import WIDTH, _num, _svg_open, stacked_days

__all__ = ["categorical", "participation", "stacked", "stacked_days"]

TOP = 8
OTHER = "other"


def stacked(chart_id: str, days: list[str], counts: dict[str, dict[str, int]], order: list[str],
            classes: dict[str, str], names: dict[str, str], title: str, desc: str) -> str:
    """A bar per day, a segment per category in `order` (bottom first), one scale for all."""
    plot_h, top, left, bottom = 150.0, 10.0, 34.0, 30.0
    step = (WIDTH - left - 8) / max(len(days), 1)
    bar = step * 0.75
    peak = max((sum(counts.get(d, {}).values()) for d in days), default=0) or 1
    parts = [_svg_open(chart_id, WIDTH, top + plot_h + bottom, title, desc),
             f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 4:.0f}" y2="{top + plot_h}"/>',
             f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>']
    label_every = max(1, len(days) // 12)
    for i, day in enumerate(days):
        x, y = left + i * step + (step - bar) / 2, top + plot_h
        for key in order:
            n = counts.get(day, {}).get(key, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            name = escape(names.get(key, key))
            parts.append(f'<rect class="seg {classes[key]}" x="{_num(x)}" y="{_num(y)}" '
                         f'width="{_num(bar)}" height="{_num(h)}" data-day="{day}" '
                         f'data-key="{escape(key)}" data-n="{n}"><title>{day} · {name}: {n}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{_num(x + bar / 2)}" y="{top + plot_h + 14}" '
                         f'text-anchor="middle">{day[5:]}</text>')
    parts.append("</svg>")
    return "".join(parts)


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
