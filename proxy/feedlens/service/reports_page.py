"""The dashboard's /reports page: every report with its status, the platform reason that was
sent and the time to the platform's answer; a page per report with its evidence manifest and
attempts; and the bundle as a zip download. Read-only, no scripts (the dashboard's CSP);
rendered from templates/reports/.
Reports are retried from the extension's history page, which can send from the platform's tab.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from ..reports import bundle, categories, complaint, store as rstore
from . import pages, render as r, validate as v
from .config import CONFIG
from .errors import ApiError
from .reports_common import load_categories


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/reports", pages.page(render_list), name="page_reports")
    router.add_get(r"/reports/{id:\d{1,18}}", pages.page(render_detail), name="page_report")
    router.add_get(r"/reports/{id:\d{1,18}}/bundle.zip", export, name="page_report_export")


# ---- helpers -------------------------------------------------------------------------------

def when(time: float | None) -> str:
    return "—" if time is None else f"{datetime.fromtimestamp(time):%Y-%m-%d %H:%M:%S}"


def duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def reason_text(reason: dict | None, lang: str) -> str:
    """The platform's own label (its translation where the adapter gives one) and code."""
    if not reason:
        return "—"
    label = reason.get(lang) or reason.get("label", "")
    return f"{label} ({reason.get('code')})".strip()


async def _labels(request: web.Request, lang: str) -> dict[str, str]:
    # a complaint about a reverted choice is filed under its own categories (reports.complaint)
    labels = {cid: zh if categories.is_zh(lang) else en for cid, (zh, en) in complaint.CATEGORIES.items()}
    try:
        found = await load_categories(request)
    except ApiError:  # a broken categories file must not hide the history
        return labels
    return {**labels, **{cid: categories.label(category, lang) for cid, category in found.items()}}


def _texts(report: dict, parts: list, lang: str) -> list[dict]:
    """A complaint's texts (its .txt parts), the page's language first, to read and copy."""
    if report["kind"] != complaint.KIND:
        return []
    texts = [{"name": p.name, "text": p.data.decode("utf-8")} for p in parts if p.name.endswith(".txt")]
    suffix = ".zh.txt" if categories.is_zh(lang) else ".en.txt"
    return sorted(texts, key=lambda t: not t["name"].endswith(suffix))


def _shown(report: dict, labels: dict, lang: str) -> dict:
    """A report with its times, category and platform reason as the page shows them."""
    return {**report, "category_label": labels.get(report["category"], report["category"]),
            "reason_text": reason_text(report["reason"], lang),
            "created_at": when(report["created"]), "sent_at": when(report["sent"]),
            "answered_at": when(report["answered"]), "answer_time": duration(report["answer_ms"])}


HELPERS = {"when": when, "statuses": rstore.STATUSES}


# ---- the list ------------------------------------------------------------------------------

async def render_list(request: web.Request, lang: str) -> tuple[str, dict]:
    params = v.query(request, {"lang": v.choice(("en", "zh")), "status": v.choice(rstore.STATUSES),
                               "platform": v.text(64)})
    rows = await request.app[CONFIG].runtime.store.run_read(lambda conn: rstore.list_reports(
        conn, status=params.get("status"), platform=params.get("platform"), limit=500))
    labels = await _labels(request, lang)
    return "reports/list.html", {
        **HELPERS, "status": params.get("status"),
        "reports": [_shown(row, labels, lang) for row in rows],
        "export_id": rows[0]["id"] if rows else 1}


# ---- one report ----------------------------------------------------------------------------

async def render_detail(request: web.Request, lang: str) -> tuple[str, dict]:
    v.query(request, {"lang": v.choice(("en", "zh"))})
    report_id = int(request.match_info["id"])

    def read(conn):
        return (rstore.get(conn, report_id), rstore.part_index(conn, report_id),
                rstore.attempts(conn, report_id), rstore.part(conn, report_id, bundle.MANIFEST),
                rstore.parts(conn, report_id))
    report, index, attempts, manifest, parts = await request.app[CONFIG].runtime.store.run_read(read)
    if report is None:
        raise web.HTTPNotFound(text=f"no report {report_id}")
    labels = await _labels(request, lang)
    return "reports/detail.html", {
        **HELPERS, "report": _shown(report, labels, lang), "parts_index": index,
        "texts": _texts(report, parts, lang),
        "attempts": attempts, "manifest_sha256": manifest.sha256 if manifest else "—",
        "export_id": report_id}


# ---- the zip -------------------------------------------------------------------------------

async def export(request: web.Request) -> web.Response:
    """The bundle zip, on the dashboard's cookie (or the token), like the pages."""
    lang = pages.language(request)
    if not pages.authorized(request):
        return r.locked(request, lang)
    report_id = int(request.match_info["id"])

    def read(conn):
        return rstore.get(conn, report_id), rstore.parts(conn, report_id)
    report, parts = await request.app[CONFIG].runtime.store.run_read(read)
    if report is None:
        raise web.HTTPNotFound(text=f"no report {report_id}")
    data = bundle.export_zip(parts, report_id, report["created"])
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="feedlens-report-{report_id}.zip"'})

