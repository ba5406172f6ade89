"""Where each pack stands: the bundled one, then one row per subscription and per own pack, for
`feedlens rules status`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .. import paths
from . import versions
from .core_key import CORE_PACK
from .header import load_header
from .subscriptions import Subscription
from .updater import expires_at


def rows(subs: dict[str, Subscription], now: dt.datetime, data: Path | None = None,
         bundled: bool = False) -> list[dict]:
    """Every subscription, then every pack directory that is not one, by name (`data`: the
    data dir holding the kept versions); with `bundled`, the bundled pack first (for the
    command line: health and the page show it on their own, without expiry warnings)."""
    found = [subscription_row(sub, now, data) for sub in subs.values()]
    for directory in paths.pack_dirs():
        if directory.name not in subs:
            found.append(own_row(directory, now))
    found.sort(key=lambda row: row["name"])
    if bundled:
        found.insert(0, own_row(paths.bundled_rules_dir(), now) | {"kind": "bundled", "name": CORE_PACK})
    return found


def subscription_row(sub: Subscription, now: dt.datetime, data: Path | None = None) -> dict:
    expiry = expires_at(sub)
    return {
        "name": sub.name, "kind": "subscription", "url": sub.url, "mirrors": sub.urls()[1:],
        "version": versions.active_version(sub.name, data), "released": sub.released,
        "age_days": _age(sub.released, now), "expires_in_days": _days_left(expiry, now),
        "expired": expiry is not None and now >= expiry,
        "last_check": sub.last_check, "last_result": sub.last_result, "error": sub.error,
        "failures": sub.failures, "next_try": sub.next_try, "kept": versions.history(sub.name, data),
    }


def own_row(directory, now: dt.datetime) -> dict:
    header, problems = load_header(directory)
    row = {"name": directory.name, "kind": "own", "path": str(directory), "version": None,
           "released": None, "age_days": None, "expires_in_days": None, "expired": False,
           "last_check": None, "last_result": None, "error": problems[0] if problems else None}
    if header is not None:
        released = header.data["released"]
        expiry = dt.datetime.fromisoformat(released).replace(tzinfo=dt.timezone.utc) \
            + dt.timedelta(days=header.expires_days)
        row.update(version=header.version, released=released, age_days=_age(released, now),
                   expires_in_days=_days_left(expiry, now), expired=now >= expiry)
    return row


def _age(released: str | None, now: dt.datetime) -> int | None:
    if not released:
        return None
    return (now.date() - dt.date.fromisoformat(released)).days


def _days_left(expiry: dt.datetime | None, now: dt.datetime) -> int | None:
    if expiry is None:
        return None
    return (expiry - now).days


def lines(row: dict) -> list[str]:
    """A row for a terminal: a first line with the pack, then indented details."""
    if row["version"] is None and row["kind"] == "subscription":
        head = f"{row['name']}: no version active yet"
    elif row["version"] is None:
        head = f"{row['name']}: your own pack, no readable pack.yaml"
    else:
        head = (f"{row['name']} {row['version']}: released {row['released']} ({row['age_days']} days ago), "
                + (f"EXPIRED {-row['expires_in_days']} days ago" if row["expired"]
                   else f"expires in {row['expires_in_days']} days"))
    out = [head]
    if row["kind"] == "subscription":
        out.append(f"  subscribed to {row['url']}" + (f" (mirrors: {', '.join(row['mirrors'])})" if row["mirrors"] else ""))
        out.append(f"  last check: {row['last_check'] or 'never'}; last result: {row['last_result'] or '-'}")
        if row["error"]:
            out.append(f"  error: {row['error']}")
        if row["failures"]:
            out.append(f"  {row['failures']} failed checks in a row; next try not before {row['next_try']}")
        if row["kept"]:
            out.append(f"  kept versions: {', '.join(row['kept'])}")
    elif row["kind"] == "bundled":
        out.append(f"  bundled with feedlens at {row['path']} (updated with feedlens, or between "
                   "releases by subscribing to feedlens-core: docs/rule-packs.md)")
    else:
        out.append(f"  your own pack at {row['path']} (not subscribed: never updated)")
        if row["error"]:
            out.append(f"  error: {row['error']}")
    return out

