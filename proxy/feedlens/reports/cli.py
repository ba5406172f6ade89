"""Command line: feedlens reports list|export|verify.

list and export open the SQLite file of the data dir read-only, directly (the service need
not run); verify needs only the zip.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from .. import paths
from ..clierror import CliError
from ..store import FILE_NAME, open_readonly
from . import bundle, complaint, store as rstore


def add_reports_parser(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
    reports = sub.add_parser("reports", help="reports you made: list, export and verify evidence")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)

    listing = reports_sub.add_parser("list", help="list reports, newest first")
    _data_dir_option(listing)
    listing.add_argument("--status", choices=rstore.STATUSES)
    listing.add_argument("--platform")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=cmd_list)

    export = reports_sub.add_parser("export", help="write a report's evidence bundle as a zip")
    _data_dir_option(export)
    export.add_argument("id", type=int, help="report id (see `feedlens reports list`)")
    export.add_argument("-o", "--output", help="zip file (default feedlens-report-ID.zip)")
    export.set_defaults(func=cmd_export)

    verify = reports_sub.add_parser("verify", help="check an exported bundle against its manifest")
    verify.add_argument("zip", help="a zip written by `feedlens reports export`")
    verify.set_defaults(func=cmd_verify)


def _data_dir_option(parser) -> None:
    parser.add_argument("--data-dir", help=f"data directory (default {paths.data_dir()})")


def open_log(data_dir: str | None) -> sqlite3.Connection | None:
    """The item log's SQLite file, read-only; None when there is none yet."""
    path = paths.data_dir(data_dir) / FILE_NAME
    if not path.is_file():
        return None
    conn = open_readonly(path)
    conn.row_factory = sqlite3.Row
    return conn


def cmd_list(args) -> int:
    conn = open_log(args.data_dir)
    if conn is None or not rstore.has_tables(conn):
        print("no reports yet", file=sys.stderr)
        return 0
    with conn:
        rows = rstore.list_reports(conn, status=args.status, platform=args.platform,
                                   limit=max(1, args.limit))
    conn.close()
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no reports" + (" matching" if args.status or args.platform else " yet"))
        return 0
    print(_table(rows))
    return 0


def _table(rows: list[dict]) -> str:
    header = ("id", "created", "platform", "kind", "category", "reason", "status", "answer")
    lines = [header]
    for r in rows:
        reason = r["reason"] or {}
        answer = "—" if r["answer_ms"] is None else f"{r['answer_ms']} ms"
        lines.append((str(r["id"]), f"{datetime.fromtimestamp(r['created']):%Y-%m-%d %H:%M:%S}",
                      r["platform"], r["kind"], r["category"],
                      f"{reason.get('label', '')} {reason.get('code', '')}".strip() or "—",
                      r["status"], answer))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
                     for line in lines)


def cmd_export(args) -> int:
    conn = open_log(args.data_dir)
    if conn is None or not rstore.has_tables(conn):
        raise CliError("no reports in this data directory", "check --data-dir")
    report, parts = rstore.get(conn, args.id), rstore.parts(conn, args.id)
    conn.close()
    if report is None:
        raise CliError(f"no report {args.id}", "`feedlens reports list` shows them")
    output = Path(args.output or f"feedlens-report-{args.id}.zip")
    guide = complaint.GUIDE if report["kind"] == complaint.KIND else None
    output.write_bytes(bundle.export_zip(parts, args.id, report["created"], guide))
    evidence = len(parts) - 1  # every part but the manifest
    print(f"wrote {output} ({evidence} parts and manifest.json)")
    return 0


def cmd_verify(args) -> int:
    path = Path(args.zip)
    if not path.is_file():
        raise CliError(f"no such file: {path}", "check the path")
    count, problems = bundle.check(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"ok: {count} parts verified")
    return 0
