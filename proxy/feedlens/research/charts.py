"""Charts of the user's own item log, as data (the JSON endpoints) and as inline SVG.

The SVG is drawn here on the server: no script, no CDN, no web font. Colours come from CSS
classes (palette_css(): the one vocabulary's colours, in the page's nonce'd <style>, with
service/templates/research/_chart.css for the rest), so the page keeps its strict CSP.
Each chart carries a <title> and <desc> for screen readers; the page shows the same numbers
as a table after it. Every text put into the SVG is escaped here, so the page may include it
as it is.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from .. import vocabulary
from ..model import PROVENANCE_ORDER, provenance_rank
from . import queries

DAY = 86400.0
WIDTH = 700.0  # every chart's viewBox width: text keeps one size at any number of bars

def css_class(provenance: str) -> str:
    return f"c-{provenance}" if provenance in PROVENANCE_ORDER else "c-other"


def palette_css() -> str:
    """The fill of each class's chart segments, from the one vocabulary (feedlens.vocabulary)."""
    return vocabulary.css("c-", "fill") + "\n.c-other { fill: #adb5bd; }"


# ---- data ----------------------------------------------------------------------------------

def local_midnight(when: float) -> float:
    local = datetime.fromtimestamp(when).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def day_span(days: int, now: float) -> tuple[float, float]:
    """The last `days` local calendar days, today included: [since, until)."""
    today = datetime.fromtimestamp(local_midnight(now)).date()
    first = today - timedelta(days=days - 1)
    return _midnight(first), _midnight(today + timedelta(days=1))


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day).astimezone().timestamp()


def day_label(bucket) -> str:
    """A bucket from queries.composition (unix seconds or text) as a local date YYYY-MM-DD."""
    if isinstance(bucket, (int, float)):
        return datetime.fromtimestamp(bucket).astimezone().date().isoformat()
    return str(bucket)[:10]


def days_between(since: float, until: float) -> list[str]:
    day = datetime.fromtimestamp(since).date()
    last = datetime.fromtimestamp(until - 1).date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


async def composition(store, days: int, now: float, platform: str | None = None) -> dict:
    """Items per local day, platform and provenance over the last `days` days."""
    since, until = day_span(days, now)
    rows = await queries.composition(store, since, until, bucket="day", source="items")
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if platform is not None and row["platform"] != platform:
            continue
        key = (day_label(row["bucket"]), row["platform"], row["provenance"] or "unknown")
        counts[key] = counts.get(key, 0) + row["n"]
    return {"since": since, "until": until, "days": days_between(since, until),
            "platform": platform, "rows": [
                {"day": d, "platform": p, "provenance": v, "n": n}
                for (d, p, v), n in sorted(counts.items(),
                                           key=lambda kv: (kv[0][0], kv[0][1], provenance_rank(kv[0][2])))]}


async def shares(store, days: int, now: float) -> dict:
    """Share of each provenance per platform and over all platforms."""
    since, until = day_span(days, now)
    rows = await queries.composition(store, since, until, bucket="day", source="items")
    return {"since": since, "until": until, **shares_of(rows)}


def shares_of(rows: list[dict]) -> dict:
    per_platform: dict[str, dict[str, int]] = {}
    for row in rows:
        into = per_platform.setdefault(row["platform"], {})
        provenance = row["provenance"] or "unknown"
        into[provenance] = into.get(provenance, 0) + row["n"]
    overall: dict[str, int] = {}
    for counts in per_platform.values():
        for provenance, n in counts.items():
            overall[provenance] = overall.get(provenance, 0) + n
    return {"all": _shares(overall),
            "platforms": {p: _shares(c) for p, c in sorted(per_platform.items())}}


def _shares(counts: dict[str, int]) -> dict:
    total = sum(counts.values())
    ordered = sorted(counts, key=provenance_rank)
    return {"items": total, "counts": {p: counts[p] for p in ordered},
            "shares": {p: counts[p] / total for p in ordered} if total else {}}


async def sources(store, days: int, now: float, limit: int) -> dict:
    since, until = day_span(days, now)
    rows = await queries.top_sources(store, since, until, limit)
    return {"since": since, "until": until, "sources": [source_row(r) for r in rows]}


def source_row(row: dict) -> dict:
    return {"platform": row.get("platform"), "author_id": row.get("author_id"),
            "author": row.get("author") or row.get("author_name"), "n": row["n"]}


# ---- SVG -----------------------------------------------------------------------------------

def _svg_open(chart_id: str, width: float, height: float, title: str, desc: str) -> str:
    return (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<desc id="{chart_id}-d">{escape(desc)}</desc>')


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def stacked_days(chart_id: str, days: list[str], counts: dict[str, dict[str, int]],
                 names: dict[str, str], title: str, desc: str) -> str:
    """Stacked bars, one per day, one segment per provenance with items that day; a bar's
    height is the day's item count, so each segment's height is its count on one scale."""
    order = sorted({p for day in counts.values() for p in day}, key=provenance_rank)
    return stacked(chart_id, days, counts, order, {p: css_class(p) for p in order}, names,
                   title, desc, attr="provenance")


def stacked(chart_id: str, days: list[str], counts: dict[str, dict[str, int]], order: list[str],
            classes: dict[str, str], names: dict[str, str], title: str, desc: str,
            attr: str = "key") -> str:
    """A bar per day, a segment per category in `order` (bottom first) with a count that day,
    one scale for all; each segment says its day, category (data-`attr`) and count."""
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
            parts.append(f'<rect class="seg {classes[key]}" x="{_num(x)}" y="{_num(y)}" '
                         f'width="{_num(bar)}" height="{_num(h)}" data-day="{day}" '
                         f'data-{attr}="{escape(key)}" data-n="{n}">'
                         f'<title>{day} · {escape(names.get(key, key))}: {n}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{_num(x + bar / 2)}" y="{top + plot_h + 14}" '
                         f'text-anchor="middle">{day[5:]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def share_bars(chart_id: str, groups: list[tuple[str, dict]], names: dict[str, str],
               title: str, desc: str) -> str:
    """One 100 % bar per group (platform), a segment per provenance as wide as its share."""
    left, row_h, bar_h = 110.0, 22.0, 16.0
    bar_w = WIDTH - left - 50
    height = row_h * max(len(groups), 1) + 6
    parts = [_svg_open(chart_id, WIDTH, height, title, desc)]
    for i, (label, summary) in enumerate(groups):
        y = 4 + i * row_h
        parts.append(f'<text x="{left - 6}" y="{_num(y + bar_h - 4)}" text-anchor="end">'
                     f'{escape(label)}</text>')
        x = left
        for provenance, share in summary["shares"].items():
            w = bar_w * share
            parts.append(f'<rect class="seg {css_class(provenance)}" x="{_num(x)}" y="{_num(y)}" '
                         f'width="{_num(w)}" height="{bar_h}" data-group="{escape(label)}" '
                         f'data-provenance="{escape(provenance)}" data-n="{summary["counts"][provenance]}">'
                         f'<title>{escape(label)} · {escape(names.get(provenance, provenance))}: '
                         f'{100 * share:.1f} %</title></rect>')
            x += w
        parts.append(f'<text x="{left + bar_w + 6}" y="{_num(y + bar_h - 4)}">{summary["items"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def source_bars(chart_id: str, rows: list[dict], title: str, desc: str) -> str:
    """Horizontal bars, longest for the source with most items."""
    left, row_h, bar_h = 220.0, 18.0, 13.0
    bar_w = WIDTH - left - 50
    peak = max((r["n"] for r in rows), default=0) or 1
    parts = [_svg_open(chart_id, WIDTH, row_h * max(len(rows), 1) + 6, title, desc)]
    for i, row in enumerate(rows):
        y = 4 + i * row_h
        label = source_label(row)
        w = bar_w * row["n"] / peak
        parts.append(f'<text x="{left - 6}" y="{_num(y + bar_h - 3)}" text-anchor="end">'
                     f'{escape(label[:40])}</text>'
                     f'<rect class="src" x="{left}" y="{_num(y)}" width="{_num(w)}" height="{bar_h}"'
                     f' data-n="{row["n"]}"><title>{escape(label)}: {row["n"]}</title></rect>'
                     f'<text x="{_num(left + w + 4)}" y="{_num(y + bar_h - 3)}">{row["n"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def interval_bars(chart_id: str, rows: list[tuple[str, float | None, list | None]], title: str,
                  desc: str) -> str:
    """A bar per row for a share (0..1) with a whisker for its interval, on a 0–100 % axis."""
    left, row_h, bar_h = 150.0, 28.0, 16.0
    bar_w = WIDTH - left - 60
    height = row_h * len(rows) + 24
    parts = [_svg_open(chart_id, WIDTH, height, title, desc)]
    for tick in (0, 50, 100):
        x = left + bar_w * tick / 100
        parts.append(f'<line class="axis" x1="{_num(x)}" y1="2" x2="{_num(x)}" y2="{height - 16:.0f}"/>'
                     f'<text x="{_num(x)}" y="{height - 4:.0f}" text-anchor="middle">{tick} %</text>')
    for i, (label, share, interval) in enumerate(rows):
        y = 6 + i * row_h
        parts.append(f'<text x="{left - 6}" y="{_num(y + bar_h - 4)}" text-anchor="end">'
                     f'{escape(label)}</text>')
        if share is None:
            continue
        parts.append(f'<rect class="seg c-personalized" x="{left}" y="{_num(y)}" '
                     f'width="{_num(bar_w * share)}" height="{bar_h}" data-share="{share:.6f}"/>')
        if interval:
            lo, hi = (left + bar_w * v for v in interval)
            mid = y + bar_h / 2
            ticks = "".join(f"M{_num(x)} {_num(mid - 5)}V{_num(mid + 5)}" for x in (lo, hi))
            parts.append(f'<path class="axis whisker" d="M{_num(lo)} {_num(mid)}H{_num(hi)}{ticks}"/>')
        parts.append(f'<text x="{_num(left + bar_w * max(share, (interval or [0, share])[1]) + 6)}" '
                     f'y="{_num(y + bar_h - 4)}">{100 * share:.1f} %</text>')
    parts.append("</svg>")
    return "".join(parts)


def source_label(row: dict) -> str:
    name = row.get("author") or row.get("author_id") or "?"
    return f"{name} ({row['platform']})" if row.get("platform") else str(name)
