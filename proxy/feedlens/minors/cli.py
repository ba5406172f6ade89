"""Command line: feedlens parent set-pin | status | audit | unlock | confirm.

This is the console of the machine running feedlens: a wrong PIN here is never locked out
(pin.CONSOLE). Changing a PIN that is set asks for the current one; `--reset`, for a forgotten
PIN, asks for the recovery code shown once when the PIN was set (never mere shell access).
`unlock` and `confirm` change the lock the store keeps (minors/lock.py); both need the PIN
and are audited.
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
from ..profiles import ProfileError, load_profile_text
from ..store import FILE_NAME, Store
from . import audit, lock
from .pin import CONSOLE, ParentPin, PinError, check_new_pin


def add_parent_parser(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
    parent = sub.add_parser("parent", help="the parent lock: PIN, status, audit log")
    parent.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    commands = parent.add_subparsers(dest="parent_command", required=True)
    set_pin = commands.add_parser("set-pin", help="set or change the parent PIN")
    set_pin.add_argument("--pin-stdin", action="store_true",
                         help="read the PIN from standard input (current PIN or recovery code first)")
    set_pin.add_argument("--reset", action="store_true",
                         help="replace a forgotten PIN with the recovery code shown when it was set")
    set_pin.set_defaults(func=cmd_set_pin)
    status = commands.add_parser("status", help="whether a PIN is set, failures and lockout")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    log = commands.add_parser("audit", help="recent changes and refusals")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")
    log.set_defaults(func=cmd_audit)
    unlock = commands.add_parser("unlock", help="let the next `feedlens run --profile` leave the "
                                 "active locked profile (asks the PIN; with feedlens stopped)")
    unlock.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    unlock.set_defaults(func=cmd_unlock)
    confirm = commands.add_parser("confirm", help="accept a locked profile's file as it is now on "
                                  "disk (asks the PIN)")
    confirm.add_argument("profile", help="profile name")
    confirm.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    confirm.set_defaults(func=cmd_confirm)


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
    if already and args.reset:
        if not await pin.recovery_matches(_ask("Recovery code: ", lines)):
            await audit.record(store, route="cli_set_pin", outcome="refused_wrong_recovery")
            print("wrong or no recovery code: the PIN was not reset (the code was shown once "
                  "when the PIN was set)", file=sys.stderr)
            return 1
    elif already and not await _pin_ok(store, pin, "cli_set_pin", lines):
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
    code = await pin.new_recovery_code()
    await audit.record(store, route="cli_set_pin", outcome="pin_reset" if already and args.reset
                       else "pin_set")
    print("parent PIN set")
    print(f"recovery code: {code}\n  write it down and keep it away from the child: it is shown "
          "only now, and `feedlens parent set-pin --reset` needs it for a forgotten PIN")
    return 0


async def _pin_ok(store, pin: ParentPin, route: str, lines: list[str] | None) -> bool:
    verdict = await pin.verify(_ask("Current parent PIN: " if route == "cli_set_pin" else
                                    "Parent PIN: ", lines), CONSOLE)
    if verdict.ok:
        return True
    outcome = {"wrong": "refused_wrong_pin", "unset": "refused_pin_unset"}.get(verdict.reason,
                                                                              "refused_locked_out")
    await audit.record(store, route=route, outcome=outcome)
    print("no parent PIN is set" if verdict.reason == "unset" else "wrong PIN", file=sys.stderr)
    return False


def cmd_unlock(args) -> int:
    lines = sys.stdin.read().splitlines() if args.pin_stdin else None
    return asyncio.run(_with_store(args, lambda store: _unlock(store, lines)))


async def _unlock(store, lines: list[str] | None) -> int:
    active = await lock.stored_active(store)
    if active is None:
        print("no locked profile is active")
        return 0
    if not await _pin_ok(store, ParentPin(store), "cli_unlock", lines):
        return 1
    await lock.clear_active(store)
    await audit.record(store, route="cli_unlock", outcome="unlocked", profile=active)
    print(f"the lock on profile {active!r} is lifted: start feedlens with the profile you want "
          "(`feedlens run --profile NAME`)")
    return 0


def cmd_confirm(args) -> int:
    lines = sys.stdin.read().splitlines() if args.pin_stdin else None
    rules = Path(args.rules) if getattr(args, "rules", None) else None
    path = paths.resolve_profile(args.profile, rules)
    try:
        text = path.read_text(encoding="utf-8")
        load_profile_text(text, path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: cannot read: {exc}") from None
    except ProfileError as exc:
        raise CliError("; ".join(exc.messages), "fix the file first: the stored copy stays in force")
    return asyncio.run(_with_store(args, lambda store: _confirm(store, args.profile, text, lines)))


async def _confirm(store, name: str, text: str, lines: list[str] | None) -> int:
    if not await _pin_ok(store, ParentPin(store), "cli_confirm", lines):
        return 1
    await lock.store_copy(store, name, text)
    await audit.record(store, route="cli_confirm", outcome="confirmed", profile=name)
    print(f"profile {name!r}: the file as it is now is the locked version")
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
