"""Command line: feedlens export (research records as CSV, JSON Lines or Parquet)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from .. import paths
from ..store import FILE_NAME


def add_research_parsers(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
    export = sub.add_parser(
        "export", help="export your research records (research mode) for a study",
        description="Export the research records on this machine: the columns of the data "
                    "dictionary (--dictionary), one row per feed item. A progress bar goes to "
                    "stderr; CSV and JSON Lines go to stdout unless -o names a file.")
    export.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    export.add_argument("-o", "--output", help="file to write (required for parquet)")
    export.add_argument("--since", type=moment, help="from this time: YYYY-MM-DD, an ISO time "
                        "or unix seconds (local time zone)")
    export.add_argument("--until", type=moment, help="before this time (same forms as --since)")
    export.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    export.add_argument("--dictionary", action="store_true",
                        help="print the data dictionary (Markdown) and exit")
    export.set_defaults(func=cmd_export)


def moment(text: str) -> float:
    """Unix seconds from `1767225600`, `2026-11-01` or `2026-11-01T08:00` (local time)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(f"not a date, ISO time or unix seconds: {text!r}") from None


moment.__name__ = "time"  # argparse names the type in its error message


def cmd_export(args) -> int:
    from .export import ExportError, dictionary_text, export

    if args.dictionary:
        print(dictionary_text())
        return 0
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else paths.data_dir()
    output = Path(args.output) if args.output else None
    try:
        written = export(data_dir / FILE_NAME, args.format, output, args.since, args.until)
    except (ExportError, OSError) as exc:
        print(f"feedlens export: {exc}", file=sys.stderr)
        return 2
    where = f" to {output}" if output else ""
    print(f"exported {written:,} records{where}", file=sys.stderr)
    return 0
