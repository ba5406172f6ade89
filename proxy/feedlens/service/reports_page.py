"""The dashboard's /reports page: every report with its status, the platform reason that was
sent and the time to the platform's answer; a page per report with its evidence manifest and
attempts; and the bundle as a zip download. Read-only, no scripts (the dashboard's CSP).
Reports are retried from the extension's history page, which can send from the platform's tab.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from aiohttp import web

from ..reports import bundle, categories, store as rstore
from . import pages, reports_api, validate as v
from .config import CONFIG
from .errors import ApiError
from .dashboard import _html, _locked

TEXT = {
    "en": {
        "title": "Reports", "intro": "Reports you made with one click from the browser extension. "
        "Each report and its evidence bundle were stored here before anything was sent to the "
        "platform; failed reports stay here and can be retried from the extension's report history.",
        "none": "No reports yet.", "all": "all", "filter": "Status:",
        "cols": ("#", "Created", "Platform", "Kind", "Category", "Platform reason", "Status",
                 "Time to answer", "Attempts", "Message"),
        "status": {"stored": "stored, awaiting the answer", "submitted": "submitted",
                   "duplicate": "already reported", "rate_limited": "platform: too often",
                   "failed": "failed (retryable)", "manual": "finish on the platform's page"},
        "export": "Export and verify",
        "export_text": "Download a report's bundle from its page, or use the command line. "
        "The zip holds every part, manifest.json with the SHA-256 of each, SHA256SUMS and a "
        "README. Verification fails if any byte of any part was changed, or a part is missing "
        "or added.",
        "unpacked": "or, in the unpacked folder:",
        "report": "Report", "back": "All reports", "download": "Download the evidence bundle (zip)",
        "fields": {"platform": "Platform", "kind": "Kind", "item_id": "Item", "category": "Category",
                   "reason": "Platform reason", "mode": "Mode", "status": "Status",
                   "page_url": "Page", "created": "Created", "sent": "Sent",
                   "answered": "Answered", "answer_ms": "Time to answer", "last_error": "Last error",
                   "message": "Message", "manifest": "SHA-256 of manifest.json"},
        "parts": "Evidence bundle", "part_cols": ("Part", "Type", "Bytes", "SHA-256"),
        "attempts": "Attempts", "attempt_cols": ("#", "Handed out", "Answered", "HTTP", "Outcome",
                                                 "Error"),
        "retry_hint": "This report failed; retry it from the extension's report history (it "
        "sends from a tab of the platform, with your own session).",
        "manual": "manual (on the platform's page)", "api": "one click (platform API)",
    },
    "zh": {
        "title": "举报", "intro": "你通过浏览器扩展一键提交的举报。每条举报及其证据包都在发送给平台之前"
        "保存在这里；失败的举报会保留，可在扩展的举报记录中重试。",
        "none": "还没有举报。", "all": "全部", "filter": "状态：",
        "cols": ("#", "创建时间", "平台", "类型", "类别", "平台举报理由", "状态", "平台答复用时",
                 "尝试次数", "信息"),
        "status": {"stored": "已保存，等待答复", "submitted": "已提交", "duplicate": "已举报过",
                   "rate_limited": "平台：举报过于频繁", "failed": "失败（可重试）",
                   "manual": "需在平台页面完成"},
        "export": "导出与校验",
        "export_text": "可在每条举报的页面下载证据包，也可使用命令行。压缩包包含所有部分、记录每个部分 "
        "SHA-256 的 manifest.json、SHA256SUMS 和说明文件。任何部分的任何一个字节被改动，或缺少、多出部分，"
        "校验都会失败。",
        "unpacked": "或在解压后的文件夹中：",
        "report": "举报", "back": "全部举报", "download": "下载证据包（zip）",
        "fields": {"platform": "平台", "kind": "类型", "item_id": "内容", "category": "类别",
                   "reason": "平台举报理由", "mode": "方式", "status": "状态", "page_url": "页面",
                   "created": "创建时间", "sent": "发送时间", "answered": "答复时间",
                   "answer_ms": "平台答复用时", "last_error": "最近错误", "message": "信息",
                   "manifest": "manifest.json 的 SHA-256"},
        "parts": "证据包", "part_cols": ("部分", "类型", "字节", "SHA-256"),
        "attempts": "发送记录", "attempt_cols": ("#", "交给浏览器", "答复", "HTTP", "结果", "错误"),
        "retry_hint": "该举报失败了；请在扩展的举报记录中重试（从该平台的标签页、用你自己的登录状态发送）。",
        "manual": "手动（在平台页面完成）", "api": "一键（平台接口）",
    },
}

CSS = """
.st { font-weight: 600; } .st-submitted { color: #1f7a3a; } .st-failed { color: #a4161a; }
.st-duplicate, .st-manual { color: #5f3dc4; } .st-rate_limited { color: #e67700; }
.st-stored { color: #1971c2; } pre { background: #f0f2f4; padding: .5rem; overflow-x: auto; }
.filters a, .filters b { margin-right: .5rem; }
"""


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


def status_html(status: str, t: dict) -> str:
    return f'<span class="st st-{escape(status)}">{escape(t["status"].get(status, status))}</span>'


async def _labels(request: web.Request, lang: str) -> dict[str, str]:
    try:
        found = await reports_api.load_categories(request)
    except ApiError:  # a broken categories file must not hide the history
        return {}
    return {cid: categories.label(category, lang) for cid, category in found.items()}


def _cells(values) -> str:
    return "".join(f"<td>{value}</td>" for value in values)


# ---- the list ------------------------------------------------------------------------------

async def render_list(request: web.Request, lang: str) -> tuple[str, str]:
    params = v.query(request, {"lang": v.choice(("en", "zh")), "status": v.choice(rstore.STATUSES),
                               "platform": v.text(64)})
    t = TEXT[lang]
    rows = await request.app[CONFIG].runtime.store.run_read(lambda conn: rstore.list_reports(
        conn, status=params.get("status"), platform=params.get("platform"), limit=500))
    labels = await _labels(request, lang)
    body = [f"<h1>{escape(t['title'])}</h1><p>{escape(t['intro'])}</p>",
            _filters(params.get("status"), lang, t)]
    if rows:
        head = "".join(f"<th>{escape(c)}</th>" for c in t["cols"])
        lines = [f"<tr>{head}</tr>"] + [_row(r, labels, lang, t) for r in rows]
        body.append(f"<table>{''.join(lines)}</table>")
    else:
        body.append(f"<p>{escape(t['none'])}</p>")
    body.append(_export_help(t, rows[0]["id"] if rows else 1))
    return "".join(body), CSS


def _filters(current: str | None, lang: str, t: dict) -> str:
    links = [f"<b>{escape(t['all'])}</b>" if current is None
             else f'<a href="/reports?lang={lang}">{escape(t["all"])}</a>']
    for status in rstore.STATUSES:
        label = escape(t["status"][status])
        links.append(f"<b>{label}</b>" if status == current
                     else f'<a href="/reports?lang={lang}&amp;status={status}">{label}</a>')
    return f'<p class="filters">{escape(t["filter"])} {"".join(links)}</p>'


def _row(report: dict, labels: dict, lang: str, t: dict) -> str:
    link = f'<a href="/reports/{report["id"]}?lang={lang}">{report["id"]}</a>'
    category = labels.get(report["category"], report["category"])
    message = report["last_error"] if report["status"] == "failed" else report["message"]
    return "<tr>" + _cells([
        link, escape(when(report["created"])), escape(report["platform"]), escape(report["kind"]),
        escape(category), escape(reason_text(report["reason"], lang)),
        status_html(report["status"], t),
        escape(duration(report["answer_ms"])), str(report["attempts"]), escape(message or "")]) \
        + "</tr>"


def _export_help(t: dict, report_id: int) -> str:
    commands = (f"feedlens reports export {report_id} -o report-{report_id}.zip\n"
                f"feedlens reports verify report-{report_id}.zip")
    return (f"<section><h2>{escape(t['export'])}</h2><p>{escape(t['export_text'])}</p>"
            f"<pre>{escape(commands)}</pre><p>{escape(t['unpacked'])}</p>"
            "<pre>sha256sum -c SHA256SUMS</pre></section>")


# ---- one report ----------------------------------------------------------------------------

async def render_detail(request: web.Request, lang: str) -> tuple[str, str]:
    v.query(request, {"lang": v.choice(("en", "zh"))})
    report_id = int(request.match_info["id"])
    t = TEXT[lang]

    def read(conn):
        return (rstore.get(conn, report_id), rstore.part_index(conn, report_id),
                rstore.attempts(conn, report_id), rstore.part(conn, report_id, bundle.MANIFEST))
    report, index, attempts, manifest = await request.app[CONFIG].runtime.store.run_read(read)
    back = f'<p><a href="/reports?lang={lang}">{escape(t["back"])}</a></p>'
    if report is None:
        raise web.HTTPNotFound(text=f"no report {report_id}")
    labels = await _labels(request, lang)
    body = [f"<h1>{escape(t['report'])} {report_id}</h1>", back,
            _fields(report, labels, manifest, lang)]
    if report["status"] == "failed":
        body.append(f"<p class=bad>{escape(t['retry_hint'])}</p>")
    body.append(f'<p><a href="/reports/{report_id}/bundle.zip">{escape(t["download"])}</a></p>')
    body.append(_table(t["parts"], t["part_cols"], [
        (escape(p["name"]), escape(p["media_type"]), str(p["size"]), f"<code>{p['sha256']}</code>")
        for p in index]))
    body.append(_table(t["attempts"], t["attempt_cols"], [
        (str(a["number"]), escape(when(a["time"])), escape(when(a["answered"])),
         escape(str(a["http_status"] if a["http_status"] is not None else "—")),
         status_html(a["status"], t) if a["status"] in t["status"] else escape(a["status"]),
         escape(a["error"] or "")) for a in attempts]))
    body.append(_export_help(t, report_id))
    return "".join(body), CSS


def _fields(report: dict, labels: dict, manifest, lang: str) -> str:
    t = TEXT[lang]
    f = t["fields"]
    values = [
        (f["platform"], escape(report["platform"])), (f["kind"], escape(report["kind"])),
        (f["item_id"], f"<code>{escape(report['item_id'])}</code>"),
        (f["category"], escape(labels.get(report["category"], report["category"]))),
        (f["reason"], escape(reason_text(report["reason"], lang))),
        (f["mode"], escape(t.get(report["mode"], report["mode"]))),
        (f["status"], status_html(report["status"], t)),
        (f["page_url"], f"<code>{escape(report['page_url'])}</code>"),
        (f["created"], escape(when(report["created"]))), (f["sent"], escape(when(report["sent"]))),
        (f["answered"], escape(when(report["answered"]))),
        (f["answer_ms"], escape(duration(report["answer_ms"]))),
        (f["message"], escape(report["message"] or "—")),
        (f["last_error"], escape(report["last_error"] or "—")),
        (f["manifest"], f"<code>{manifest.sha256 if manifest else '—'}</code>"),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{value}</td></tr>" for k, value in values)
    return f"<table>{rows}</table>"


def _table(title: str, columns, rows) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    lines = "".join(f"<tr>{_cells(row)}</tr>" for row in rows)
    return f"<section><h2>{escape(title)}</h2><table><tr>{head}</tr>{lines}</table></section>"


# ---- the zip -------------------------------------------------------------------------------

async def export(request: web.Request) -> web.Response:
    """The bundle zip, on the dashboard's cookie (or the token), like the pages."""
    lang = pages.language(request)
    if not pages.authorized(request):
        return _html(_locked(lang), status=401)
    report_id = int(request.match_info["id"])

    def read(conn):
        return rstore.get(conn, report_id), rstore.parts(conn, report_id)
    report, parts = await request.app[CONFIG].runtime.store.run_read(read)
    if report is None:
        raise web.HTTPNotFound(text=f"no report {report_id}")
    data = bundle.export_zip(parts, report_id, report["created"])
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="feedlens-report-{report_id}.zip"'})

