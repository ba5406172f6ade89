"""Command line: `feedlens choices`, the watchdog's table per platform and device: the choice,
what the user declared, the state last observed, when it was last verified and the reverts
(confirmed, suspected). Read from the data dir's SQLite file through a Store, like the proxy's.
`feedlens choices declare` is in declare_cli.py."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from .. import paths
from ..store import FILE_NAME
from .declare_cli import add_declare_parser, sections_in_use
from .track import OFF, ON
from .view import read_choices

HEADERS = ("platform", "device", "choice", "declared", "observed", "last verified", "reverts", "suspected",
           "last revert")
DECLARED = {OFF: "off", ON: "on"}


def add_choices_parser(sub):
    """`feedlens choices` and its subcommands' subparsers (the CLI adds `complaint`, which
    joins this feature with the reports feature)."""
    parser = sub.add_parser("choices", help="is your choice (personalised recommendation off) honoured?",
                            description="Per platform and device: your choice as observed on the wire, "
                                        "when it was last verified, and the reverts seen.")
    parser.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    parser.add_argument("--json", action="store_true", help="the rows as JSON")
    parser.add_argument("--rules", help="rules directory (default: the bundled rules, with your packs)")
    parser.set_defaults(func=cmd_choices)
    sub = parser.add_subparsers(dest="choices_command", metavar="{reverts,declare,complaint}")
    add_declare_parser(sub)
    reverts = sub.add_parser("reverts", help="the reverts recorded, newest first, with their ids",
                             description="Each revert's id (for `feedlens choices complaint`), time, "
                                         "platform, device, choice, confirmed or suspected, and why.")
    reverts.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    reverts.add_argument("--platform")
    reverts.add_argument("--json", action="store_true", help="the rows as JSON")
    reverts.set_defaults(func=cmd_reverts)
    return sub


def cmd_choices(args) -> int:
    sections = sections_in_use(args.rules)
    rows = asyncio.run(_rows(paths.data_dir(args.data_dir), lambda db: read_rows(db, sections)))
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif not rows:
        print("No choice observed or declared yet: the watchdog reads the platforms' switch as you "
              "browse; `feedlens choices declare PLATFORM off` says what you chose.")
    else:
        print(table([[str(row[key] if row[key] is not None else "-") for key in HEADERS] for row in rows]))
    return 0


def cmd_reverts(args) -> int:
    rows = asyncio.run(_rows(paths.data_dir(args.data_dir), lambda db: read_reverts(db, args.platform)))
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif not rows:
        print("No revert recorded.")
    else:
        print(table([[str(row[key]) for key in REVERT_HEADERS] for row in rows], REVERT_HEADERS))
    return 0


REVERT_HEADERS = ("id", "time", "platform", "device", "choice", "sure", "reason")


def read_reverts(db, platform: str | None) -> list[dict]:
    sql = "SELECT id, time, platform, device, choice, sure, reason FROM choice_reverts"
    found = db.execute(sql + (" WHERE platform = ?" if platform else "") + " ORDER BY id DESC",
                       (platform,) if platform else ())
    return [dict(zip(REVERT_HEADERS, (row[0], when(row[1]), *row[2:]))) for row in found]


async def _rows(data_dir, reader=None) -> list[dict]:
    from ..store import Store

    store = Store(data_dir / FILE_NAME, prune_interval=0)
    await store.start()
    try:
        return await store.run_read(reader or read_rows)
    finally:
        await store.close()


def read_rows(db, sections: dict[str, str] | None = None) -> list[dict]:
    """One row per track (and per declaration no track answers to yet), as the view has them."""
    sql = """SELECT COALESCE(SUM(sure = 'confirmed'), 0), COALESCE(SUM(sure = 'suspected'), 0), MAX(time)
             FROM choice_reverts WHERE platform = ? AND choice = ? AND device = ?"""
    rows = []
    for track in read_choices(db, sections=sections):
        key = (track["platform"], track["choice"], track["device"])
        confirmed, suspected, last = db.execute(sql, key).fetchone()
        rows.append(dict(zip(HEADERS, (track["platform"], track["device"], track["choice"],
                                       declared_word(track), track["observed"],
                                       when(track["last_verified"]), confirmed, suspected, when(last)))))
    return rows


def declared_word(track: dict) -> str | None:
    """off, on, "not declared" (the platform needs the user's word), or None (not needed)."""
    if track["declared"] is not None:
        return DECLARED[track["declared"]]
    return "not declared" if track["declare"] == "required" else None


def when(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M") if seconds else None


def table(rows: list[list[str]], headers: tuple = HEADERS) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    lines = [headers, *rows]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in lines)
