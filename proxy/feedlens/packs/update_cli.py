"""Command line: feedlens rules subscribe|update|status|rollback|unsubscribe (docs/rule-packs.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import paths
from ..clierror import CliError
from . import manage, status, updater, versions
from .subscriptions import Subscription, SubscriptionError, load_all, now_utc, subscriptions_file


def add_update_parsers(rules_sub) -> None:
    """Register the subscription subcommands under `feedlens rules`."""
    sub = rules_sub.add_parser("subscribe", help="subscribe to a published pack and fetch it now")
    sub.add_argument("url", help="where the pack's .tar.gz is served")
    sub.add_argument("--pubkey", metavar="KEYFILE", help="the publisher's public key (file or `ed25519:…` "
                     "line); every update must be signed with it. feedlens-core uses the key that "
                     "ships with feedlens")
    sub.add_argument("--name", help="the pack's name (default: the archive's file name without .tar.gz)")
    sub.add_argument("--ca-file", metavar="PEM", help="trust only these CAs for the server's HTTPS "
                     "certificate (a private CA; default: the system's, or $SSL_CERT_FILE)")
    sub.set_defaults(func=cmd_subscribe)

    update = rules_sub.add_parser("update", help="check subscribed packs for a new version now")
    update.add_argument("name", nargs="?", help="one subscription (default: all)")
    update.set_defaults(func=cmd_update)

    show = rules_sub.add_parser("status", help="version, age, expiry and last check of each of your packs")
    show.add_argument("--json", action="store_true", help="one JSON document")
    show.set_defaults(func=cmd_status)

    back = rules_sub.add_parser("rollback", help="go back to the version kept before the active one")
    back.add_argument("name", nargs="?", help="the subscription (default: the only one)")
    back.set_defaults(func=cmd_rollback)

    gone = rules_sub.add_parser("unsubscribe", help="stop a subscription and remove its pack")
    gone.add_argument("name")
    gone.set_defaults(func=cmd_unsubscribe)

    for command in (sub, update, show, back, gone):
        command.add_argument("--data-dir", help="where the kept versions live: the data directory "
                             "`feedlens run` uses (default: $XDG_DATA_HOME/feedlens)")


def _data(args) -> Path:
    return paths.data_dir(getattr(args, "data_dir", None))


def cmd_subscribe(args) -> int:
    try:
        sub = manage.subscribe(args.url, args.pubkey, args.name, _data(args), args.ca_file)
    except SubscriptionError as exc:
        raise CliError(str(exc), "nothing was changed; give the pack's .tar.gz URL, --pubkey "
                       "KEYFILE (not needed for feedlens-core) and, if its name is taken, another "
                       "--name") from None
    print(f"subscribed to {sub.name} at {sub.url} ({subscriptions_file()})", file=sys.stderr)
    return _run_updates([sub], _data(args))


def cmd_update(args) -> int:
    subs = _load()
    if args.name:
        chosen = [_one(subs, args.name)]
    else:
        chosen = list(subs.values())
    if not chosen:
        print("no subscriptions (feedlens rules subscribe URL --pubkey KEYFILE)", file=sys.stderr)
        return 0
    return _run_updates(chosen, _data(args))


def _run_updates(chosen: list[Subscription], data: Path) -> int:
    """Each check under the pack's lock (a running `feedlens run` may be checking it too)."""
    failed = 0
    for sub in chosen:
        outcome = updater.update_saved(sub.name, data)
        if outcome is None:
            print(f"{sub.name}: unsubscribed meanwhile", file=sys.stderr)
            continue
        print(f"{sub.name}: {outcome.result}: {outcome.message}")
        failed += not outcome.ok
    if failed:
        print(f"{failed} of {len(chosen)} not updated; the active version stays in force "
              "(`feedlens rules status`)", file=sys.stderr)
    return 1 if failed else 0


def cmd_status(args) -> int:
    rows = status.rows(_load(), now_utc(), _data(args), bundled=True)
    if args.json:
        print(json.dumps({"packs": rows}, indent=2, ensure_ascii=False))
        return 0
    if len(rows) == 1:
        print("no packs of your own and no subscriptions", file=sys.stderr)
    for row in rows:
        for line in status.lines(row):
            print(line)
    return 0


def cmd_rollback(args) -> int:
    subs = _load()
    if args.name:
        sub = _one(subs, args.name)
    elif len(subs) == 1:
        sub = next(iter(subs.values()))
    else:
        raise CliError("which subscription?" if subs else "no subscriptions",
                       "give its NAME (`feedlens rules status`)" if subs else None)
    try:
        was, now = updater.rollback_saved(sub.name, _data(args))
    except versions.VersionError as exc:
        raise CliError(str(exc), "nothing was changed") from None
    print(f"{sub.name}: rolled back from {was} to {now}; `rules update` will not activate {was} again")
    return 0


def cmd_unsubscribe(args) -> int:
    _one(_load(), args.name)
    try:
        manage.unsubscribe(args.name, _data(args))
    except SubscriptionError as exc:
        raise CliError(str(exc), "nothing was changed") from None
    print(f"unsubscribed from {args.name}; its pack and kept versions are removed")
    return 0


def _load() -> dict[str, Subscription]:
    try:
        return load_all()
    except SubscriptionError as exc:
        raise CliError(str(exc), "fix or remove the file") from None


def _one(subs: dict[str, Subscription], name: str) -> Subscription:
    if name not in subs:
        known = ", ".join(sorted(subs)) or "none"
        raise CliError(f"no subscription named {name}", f"subscriptions: {known}")
    return subs[name]
