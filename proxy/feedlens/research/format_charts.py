"""Provenance × format: how many items of each format (docs/format.md) each provenance brought,
as data and as an inline SVG matrix of dots (the dashboard, /research and the monthly report).

One row per provenance, one column per format; a dot's area is its count on one scale for the
whole chart, its colour the provenance's (the `c-*` classes of charts.palette_css), so a column
shows at a glance where the short videos come from and a row what a provenance brings. Like
every chart here it is drawn on the server with classes only (the pages' CSP), carries a
<title> and <desc>, a <title> per dot, and the page shows its numbers as a table too. Items
logged before formats were recorded count as `unknown`.
"""

from __future__ import annotations

from html import escape
from math import sqrt

from ..item_format import FORMATS
from ..model import provenance_rank
from . import queries
from .charts import WIDTH, _num, _svg_open, css_class, day_span

Matrix = dict[str, dict[str, int]]  # provenance -> format -> items


def format_rank(value: str) -> int:
    return FORMATS.index(value) if value in FORMATS else len(FORMATS)


def matrix_of(rows: list[dict]) -> Matrix:
    """{provenance: {format: n}} from rows with provenance, format and n (platforms summed)."""
    out: Matrix = {}
    for row in rows:
        per = out.setdefault(row["provenance"] or "unknown", {})
        fmt = row["format"] or "unknown"
        per[fmt] = per.get(fmt, 0) + row["n"]
    return out


def provenances_of(matrix: Matrix) -> list[str]:
    return sorted((p for p, counts in matrix.items() if any(counts.values())), key=provenance_rank)


def formats_of(matrix: Matrix) -> list[str]:
    return sorted({f for counts in matrix.values() for f, n in counts.items() if n}, key=format_rank)


async def formats(store, days: int, now: float, platform: str | None = None) -> dict:
    """Items per platform, provenance and format over the last `days` local days."""
    since, until = day_span(days, now)
    return {"since": since, "until": until, "platform": platform,
            **await breakdown(store, since, until, platform=platform)}


async def breakdown(store, since: float, until: float, source: str = "items",
                    platform: str | None = None) -> dict:
    """{"rows": [{"platform", "provenance", "format", "n"}], "matrix": {provenance: {format: n}}}."""
    rows = await queries.formats(store, since, until, source=source, platform=platform)
    rows = [{**r, "provenance": r["provenance"] or "unknown", "format": r["format"] or "unknown"}
            for r in rows]
    rows.sort(key=lambda r: (str(r["platform"]), provenance_rank(r["provenance"]), format_rank(r["format"])))
    return {"rows": rows, "matrix": matrix_of(rows)}


def table_rows(matrix: Matrix, provenance_names: dict, format_names: dict) -> list[list]:
    """The chart's numbers: provenance, format, items, share of the provenance's items."""
    out = []
    for provenance in provenances_of(matrix):
        total = sum(matrix[provenance].values())
        for fmt in sorted(matrix[provenance], key=format_rank):
            n = matrix[provenance][fmt]
            if n:
                out.append([provenance_names.get(provenance, provenance),
                            format_names.get(fmt, fmt), n, f"{100 * n / total:.1f} %"])
    return out


def format_matrix(chart_id: str, matrix: Matrix, provenance_names: dict, format_names: dict,
                  title: str, desc: str) -> str:
    """The SVG: rows of provenances, columns of formats, a dot per non-zero count with the count
    under it, and each row's total at its end (under Σ)."""
    provenances, columns = provenances_of(matrix), formats_of(matrix)
    left, top, row_h, right = 110.0, 30.0, 54.0, 50.0
    col_w = min(90.0, (WIDTH - left - right) / max(len(columns), 1))
    radius = min(col_w - 8, 34.0) / 2  # the largest count's dot; its centre is 21 below the row's top
    peak = max((n for counts in matrix.values() for n in counts.values()), default=0) or 1
    height = top + row_h * max(len(provenances), 1) + 4
    parts = [_svg_open(chart_id, WIDTH, height, title, desc)]
    for j, fmt in enumerate(columns):
        y = top - 8 - (10 if col_w < 72 and j % 2 else 0)  # narrow columns: labels alternate
        parts.append(f'<text x="{_num(left + (j + 0.5) * col_w)}" y="{_num(y)}" text-anchor="middle">'
                     f'{escape(format_names.get(fmt, fmt))}</text>')
    parts.append(f'<text x="{_num(left + col_w * len(columns) + 8)}" y="{top - 8:.0f}">Σ</text>')
    for i, provenance in enumerate(provenances):
        y0 = top + i * row_h
        name = provenance_names.get(provenance, provenance)
        counts = matrix[provenance]
        parts.append(f'<line class="axis" x1="{left}" y1="{_num(y0)}" x2="{_num(left + col_w * len(columns))}" '
                     f'y2="{_num(y0)}"/><text x="{left - 6}" y="{_num(y0 + 25)}" '
                     f'text-anchor="end">{escape(name)}</text>')
        for j, fmt in enumerate(columns):
            n = counts.get(fmt, 0)
            if n:
                parts.append(_dot(left + (j + 0.5) * col_w, y0, row_h, radius * sqrt(n / peak),
                                  provenance, fmt, n, f"{name} · {format_names.get(fmt, fmt)}"))
        parts.append(f'<text x="{_num(left + col_w * len(columns) + 8)}" y="{_num(y0 + 25)}">'
                     f'{sum(counts.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _dot(cx: float, y0: float, row_h: float, r: float, provenance: str, fmt: str, n: int,
         label: str) -> str:
    cy = y0 + 21
    return (f'<circle class="dot {css_class(provenance)}" cx="{_num(cx)}" cy="{_num(cy)}" '
            f'r="{_num(max(r, 2.0))}" data-provenance="{escape(provenance)}" '
            f'data-format="{escape(fmt)}" data-n="{n}"><title>{escape(label)}: {n}</title></circle>'
            f'<text x="{_num(cx)}" y="{_num(y0 + row_h - 4)}" text-anchor="middle">{n}</text>')
