"""Command line: feedlens export (research records as CSV, JSON Lines or Parquet) and
feedlens research status|consent|pause|resume|disable|preview|delete (the participant's
controls, on the data dir's SQLite file through a Store and Research like the proxy's)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

from ..clierror import CliError
from ..store import FILE_NAME
from .cli_common import data_dir, with_research
from .join_cli import add_study_commands, server_pause, server_side


def add_research_parsers(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
    export = sub.add_parser(
        "export", help="export your research records (research mode) for a study",
        description="Export the research records on this machine: the columns of the data "
                    "dictionary (--dictionary), one row per feed item, or with --table "
                    "choice_events one row per reading of a platform's personalisation switch "
                    "and per revert. A progress bar goes to stderr; CSV and JSON Lines go to "
                    "stdout unless -o names a file.")
    export.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    export.add_argument("--table", choices=("records", "choice_events"), default="records",
                        help="which table: feed items (default) or the choice watchdog's events")
    export.add_argument("-o", "--output", help="file to write (required for parquet)")
    export.add_argument("--since", type=moment, help="from this time: YYYY-MM-DD, an ISO time "
                        "or unix seconds (local time zone)")
    export.add_argument("--until", type=moment, help="before this time (same forms as --since)")
    export.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    export.add_argument("--dictionary", action="store_true",
                        help="print the data dictionary (Markdown) and exit")
    export.set_defaults(func=cmd_export)
    add_participant_parser(sub)


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
    data_dir = _data_dir(args)
    output = Path(args.output) if args.output else None
    try:
        written = export(data_dir / FILE_NAME, args.format, output, args.since, args.until,
                         table=args.table)
    except (ExportError, OSError) as exc:
        raise CliError(str(exc), "see `feedlens export --help`") from None
    where = f" to {output}" if output else ""
    what = "records" if args.table == "records" else "choice events"
    print(f"exported {written:,} {what}{where}", file=sys.stderr)
    return 0


# ---- feedlens research ... -------------------------------------------------------------------

def add_participant_parser(sub) -> None:
    from .consent import FIELDS, MAX_RETENTION_DAYS

    research = sub.add_parser(
        "research", help="research mode: consent, pause, preview and delete your records",
        description="The participant's controls of research mode, on the data directory's "
                    "database (a running proxy picks the change up with its next batch).")
    research.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    commands = research.add_subparsers(dest="research_command", required=True)
    status = commands.add_parser("status", help="research mode, the consent in force, record counts")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    consent = commands.add_parser("consent", help="give consent: research mode records from now on")
    consent.add_argument("--study", required=True, help="the study id")
    consent.add_argument("--version", required=True, help="version of the consent text")
    consent.add_argument("--field", action="append", choices=FIELDS, default=[],
                         help="a raw field you allow to be recorded (repeat for several)")
    consent.add_argument("--retention-days", type=int, required=True,
                         help=f"keep records this many days (1 to {MAX_RETENTION_DAYS})")
    consent.add_argument("--study-key-stdin", action="store_true",
                         help="read the study key the study gave you (64 hex digits) from stdin")
    consent.set_defaults(func=cmd_consent)
    for name, paused, text in (("pause", True, "stop recording until resumed"),
                               ("resume", False, "record again after a pause")):
        command = commands.add_parser(name, help=text)
        command.set_defaults(func=cmd_pause, paused=paused)
    disable = commands.add_parser("disable", help="withdraw consent and switch research mode off "
                                                  "(records stay until deleted or expired)")
    disable.set_defaults(func=cmd_disable)
    preview = commands.add_parser("preview", help="the newest records exactly as an export "
                                                  "writes them, as JSON lines")
    preview.add_argument("--limit", type=int, default=20, help="how many (1 to 500, default 20)")
    preview.set_defaults(func=cmd_preview)
    delete = commands.add_parser("delete", help="delete your research records in a time range")
    delete.add_argument("--since", type=moment, help="from this time (YYYY-MM-DD, ISO time or "
                        "unix seconds, local time zone)")
    delete.add_argument("--until", type=moment, help="before this time (same forms)")
    delete.add_argument("--all", action="store_true", help="delete every research record")
    delete.set_defaults(func=cmd_delete)
    add_study_commands(commands)


_data_dir, _with_research = data_dir, with_research  # the names this module used


def _run(args, work) -> object:
    return asyncio.run(_with_research(args, work))


def cmd_status(args) -> int:
    state = _run(args, lambda research: research.state())
    if args.json:
        print(json.dumps(state, ensure_ascii=False))
        return 0
    mode = "off" if not state["enabled"] else "paused" if state["paused"] else "on (recording)"
    print(f"research mode: {mode}")
    consent = state["consent"]
    if consent:
        print(f"study: {consent['study_id']}  consent version: {consent['consent_version']}")
        print(f"raw fields consented: {', '.join(consent['fields']) or 'none'}")
        print(f"kept for: {consent['retention_days']} days  participant: {consent['participant']}")
        print(f"consented on: {_local(consent['created'])}")
    print(f"records: {state['records']:,}  oldest: {_local(state['first'])}  "
          f"newest: {_local(state['last'])}")
    print(f"choice events: {state['choice_events']:,}")
    if state["problem"]:
        print(f"problem: {state['problem']}")
    return 0


def _local(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def cmd_consent(args) -> int:
    study_key = sys.stdin.readline().strip() if args.study_key_stdin else None

    async def work(research):
        await research.enable(args.study, args.version, args.field, args.retention_days,
                              study_key=study_key)
        return await research.state()
    try:
        state = _run(args, work)
    except ValueError as exc:  # ConsentError or a malformed study key
        raise CliError(str(exc), "see `feedlens research consent --help`") from None
    consent = state["consent"]
    print(f"research mode on: study {consent['study_id']}, consent {consent['consent_version']}, "
          f"raw fields: {', '.join(consent['fields']) or 'none'}, kept {consent['retention_days']} days")
    return 0


def cmd_pause(args) -> int:
    async def work(research):
        if not research.enabled:
            return False
        await research.pause(args.paused)
        return True
    if not _run(args, work):
        print("feedlens research: research mode is off: there is nothing to pause or resume",
              file=sys.stderr)
        return 1
    print("recording paused" if args.paused else "recording resumed")
    for line in server_pause(_data_dir(args), args.paused):
        print(line)
    return 0


def cmd_disable(args) -> int:
    _run(args, lambda research: research.disable())
    print("consent withdrawn, research mode off (records stay until deleted or expired)")
    for line in server_side(_data_dir(args), "withdraw"):
        print(line)
    return 0


def cmd_preview(args) -> int:
    if not 1 <= args.limit <= 500:
        raise CliError("--limit must be from 1 to 500")
    rows = _run(args, lambda research: research.preview(args.limit))
    dumps = json.JSONEncoder(ensure_ascii=False).encode  # as `feedlens export --format jsonl`
    for row in rows:
        print(dumps(row))
    return 0


def cmd_delete(args) -> int:
    ranged = args.since is not None or args.until is not None
    if args.all == ranged:
        raise CliError("give --since and/or --until, or --all", "see `feedlens research delete --help`")
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise CliError("--since must be before --until")
    deleted = _run(args, lambda research: research.delete(args.since, args.until))
    print(f"deleted {deleted:,} research records and choice events")
    for line in server_side(_data_dir(args), "delete", args.since, args.until):
        print(line)
    return 0
