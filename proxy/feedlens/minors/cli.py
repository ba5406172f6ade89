"""Command line: feedlens parent set-pin | status | audit.

The PIN is set here only, not through the API: whoever can run commands as the feedlens user
could edit the profile files anyway, while a token taken from a browser cannot lock the
parent out. Changing a PIN that is set asks for the current one (`--reset` skips that, for a
forgotten PIN; the reset is audited).
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from datetime import datetime
from pathlib import Path

from .. import paths
from ..clierror import CliError
from ..store import FILE_NAME, Store
from . import audit
from .pin import ParentPin, PinError, check_new_pin


def add_parent_parser(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
    parent = sub.add_parser("parent", help="the parent lock: PIN, status, audit log")
    parent.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    commands = parent.add_subparsers(dest="parent_command", required=True)
    set_pin = commands.add_parser("set-pin", help="set or change the parent PIN")
    set_pin.add_argument("--pin-stdin", action="store_true",
                         help="read the PIN from standard input (current PIN first when one is set)")
    set_pin.add_argument("--reset", action="store_true",
                         help="replace the PIN without the current one (a forgotten PIN)")
    set_pin.set_defaults(func=cmd_set_pin)
    status = commands.add_parser("status", help="whether a PIN is set, failures and lockout")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    log = commands.add_parser("audit", help="recent changes and refusals")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")
    log.set_defaults(func=cmd_audit)


def _db(args) -> Path:
    return paths.data_dir(args.data_dir) / FILE_NAME


async def _with_store(args, work):
    store = Store(_db(args), prune_interval=0)
    await store.start()
    try:
        return await work(store)
    finally:
        await store.close()


def _ask(prompt: str, stdin_lines: list[str] | None) -> str:
    if stdin_lines is not None:
        return stdin_lines.pop(0) if stdin_lines else ""
    return getpass.getpass(prompt)


def cmd_set_pin(args) -> int:
    lines = sys.stdin.read().splitlines() if args.pin_stdin else None
    return asyncio.run(_with_store(args, lambda store: _set_pin(store, args, lines)))


async def _set_pin(store, args, lines: list[str] | None) -> int:
    pin = ParentPin(store)
    already = await pin.is_set()
    if already and not args.reset:
        verdict = await pin.verify(_ask("Current parent PIN: ", lines))
        if not verdict.ok:
            outcome = "refused_wrong_pin" if verdict.reason == "wrong" else "refused_locked_out"
            await audit.record(store, route="cli_set_pin", outcome=outcome)
            print("wrong PIN" if verdict.reason == "wrong" else
                  f"locked after too many wrong PINs until {_when(verdict.locked_until)}",
                  file=sys.stderr)
            return 1
    new = _ask("New parent PIN: ", lines)
    if lines is None and getpass.getpass("Repeat the new PIN: ") != new:
        print("the two PINs differ; nothing changed", file=sys.stderr)
        return 1
    try:
        check_new_pin(new)
    except PinError as exc:
        raise CliError(str(exc)) from None
    await pin.set_pin(new)
    await audit.record(store, route="cli_set_pin", outcome="pin_reset" if already and args.reset
                       else "pin_set")
    print("parent PIN set")
    return 0


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def cmd_status(args) -> int:
    status = asyncio.run(_with_store(args, lambda store: ParentPin(store).status()))
    if args.json:
        print(json.dumps(status))
    elif not status["set"]:
        print("parent PIN: not set (locked profiles refuse every change until one is set)")
    else:
        lock = f"; locked until {_when(status['locked_until'])}" if status["locked_until"] else ""
        print(f"parent PIN: set {_when(status['set_at'])}; wrong attempts in a row: "
              f"{status['failures']}{lock}")
    return 0


def cmd_audit(args) -> int:
    rows = asyncio.run(_with_store(args, lambda store: audit.entries(store, limit=args.limit)))
    for row in rows:
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"{_when(row['time'])}  {row['outcome']:<20} {row['route']:<24} "
                  f"{row['device'] or '-':<20} {row['profile'] or '-'}")
    return 0
