"""Command line: `feedlens choices declare PLATFORM off|on [--device ADDR]` and `feedlens
choices declare PLATFORM --withdraw`: the user's word for what they chose (declare.py), for a
platform of the rules in use that has a `choice:` section. Written through a Store on the data
dir's SQLite file; the stored tracks of the platform begin a new epoch at once (hold_tracks),
and a running proxy reads the new declaration with its next observation."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from .. import layers, paths
from ..choice import DEFAULT_CHOICE, choice_sections
from ..store import FILE_NAME
from .declare import EVERY_DEVICE, declare, withdraw
from .track import OFF, ON
from .watchdog import hold_tracks

WORDS = {"off": OFF, "on": ON}


def add_declare_parser(sub) -> None:
    parser = sub.add_parser(
        "declare", help="say what you chose on a platform (off: personalised recommendations off)",
        description="Your word for a platform's personalised recommendations: 'off' (you turned "
                    "them off: the watchdog holds the platform to it once an observation confirms "
                    "it) or 'on' (you want them: no revert is raised). Needed where the wire "
                    "shows which feed is shown but not your own change (X's For you / Following).")
    parser.add_argument("platform")
    parser.add_argument("state", nargs="?", choices=tuple(WORDS), help="off or on")
    parser.add_argument("--withdraw", action="store_true", help="forget the declaration")
    parser.add_argument("--device", default=EVERY_DEVICE,
                        help="one device's client address (default: every device)")
    parser.add_argument("--data-dir", help="feedlens data directory (default: $XDG_DATA_HOME/feedlens)")
    parser.add_argument("--rules", help="rules directory (default: the bundled rules, with your packs)")
    parser.set_defaults(func=cmd_declare)


def sections_in_use(rules: str | None) -> dict[str, str]:
    """The platforms with a `choice:` section in the rules in use, and their `declare:`."""
    layering = layers.load_layers(Path(rules) if rules else paths.rules_dir())
    return choice_sections(layering.adapter_set().adapters)


def cmd_declare(args) -> int:
    if args.withdraw == (args.state is not None):
        print("feedlens choices declare: give 'off' or 'on', or --withdraw", file=sys.stderr)
        return 2
    sections = sections_in_use(args.rules)
    if args.platform not in sections:
        print(f"feedlens choices declare: no platform {args.platform!r} has a choice to declare; "
              f"those that do: {', '.join(sections) or 'none'}", file=sys.stderr)
        return 2
    done = asyncio.run(_write(paths.data_dir(args.data_dir), args))
    who = "every device" if args.device == EVERY_DEVICE else f"device {args.device}"
    if args.withdraw:
        print(f"{args.platform}: declaration for {who} withdrawn" if done
              else f"{args.platform}: nothing was declared for {who}")
    else:
        print(f"{args.platform}: personalised recommendations declared {args.state} for {who}")
    return 0


async def _write(data_dir, args) -> bool:
    from ..store import Store

    def write(db) -> bool:
        if args.withdraw:
            done = withdraw(db, args.platform, args.device)
        else:
            declare(db, args.platform, WORDS[args.state], time.time(), args.device)
            done = True
        hold_tracks(db, args.platform, DEFAULT_CHOICE)
        return done

    store = Store(data_dir / FILE_NAME, prune_interval=0)
    await store.start()
    try:
        return await store.run_write(write)
    finally:
        await store.close()
