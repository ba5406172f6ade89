"""Reverts over time as a small SVG (no script, drawn like the dashboard's other charts): one
column per day for the last DAYS days, confirmed reverts stacked under suspected ones. Only
numbers and dates go into it, so it is safe to put into the page as it is."""

from __future__ import annotations

from datetime import date, datetime, timedelta

DAYS = 30
WIDTH, HEIGHT, BAR = 300, 60, 10


def per_day(reverts: list[dict], today: date) -> list[tuple[date, int, int]]:
    """(day, confirmed, suspected) for each of the last DAYS days, oldest first."""
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    counts = {day: [0, 0] for day in days}
    for revert in reverts:
        day = datetime.fromtimestamp(revert["time"]).date()
        if day in counts:
            counts[day][0 if revert["sure"] == "confirmed" else 1] += 1
    return [(day, *counts[day]) for day in days]


def svg(reverts: list[dict], today: date, label: str) -> str:
    columns = per_day(reverts, today)
    top = max([1] + [c + s for _, c, s in columns])
    step = WIDTH / DAYS
    parts = []
    for index, (day, confirmed, suspected) in enumerate(columns):
        x = index * step + (step - BAR) / 2
        base = HEIGHT
        for count, kind in ((confirmed, "confirmed"), (suspected, "suspected")):
            if not count:
                continue
            height = HEIGHT * count / top
            base -= height
            parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{base:.1f}" width="{BAR}" '
                         f'height="{height:.1f}"><title>{day.isoformat()}: {count}</title></rect>')
    first, last = columns[0][0].isoformat(), columns[-1][0].isoformat()
    return (f'<svg viewBox="0 -12 {WIDTH} {HEIGHT + 24}" role="img" aria-label="{_attr(label)}">'
            f'<line x1="0" y1="{HEIGHT}" x2="{WIDTH}" y2="{HEIGHT}" class="axis"/>{"".join(parts)}'
            f'<text x="0" y="{HEIGHT + 11}" class="tick">{first}</text>'
            f'<text x="{WIDTH}" y="{HEIGHT + 11}" class="tick" text-anchor="end">{last}</text></svg>')


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))
