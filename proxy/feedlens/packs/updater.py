"""Updating a subscribed pack: fetch, unpack safely, verify, and only then activate.

update() is one check of one subscription and records its outcome in the subscription (last
check, last result, error, backoff). An update is activated only when the signature verifies
with the subscription's key, every file's hash matches, the schema validates, every fixture in
the pack passes on this feedlens and min_feedlens is met (packs.verify); anything else leaves
the active pack in force. backoff() and update_due() are pure, for a background updater.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import archive, signing, versions
from .fetch import MAX_DOWNLOAD, FetchError, fetch
from .header import Header, load_header
from .subscriptions import Subscription, load_all, mirror_urls, now_utc, parse_stamp, save_one, stamp
from .verify import verify_dir

BACKOFF_BASE = 5 * 60.0  # seconds after the first failure
BACKOFF_CAP = 24 * 3600.0
RECHECK_EXPIRED = dt.timedelta(hours=6)  # an expired pack with nothing newer: ask again after this
DOWNLOAD = "download.tar.gz"


@dataclass
class Outcome:
    name: str
    result: str  # updated | not modified | up to date | refused | failed
    message: str

    @property
    def ok(self) -> bool:
        return self.result not in ("refused", "failed")


class Refused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def backoff(failures: int, rand: float | None = None, base: float = BACKOFF_BASE,
            cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after `failures` failed checks in a row: base·2^(failures-1), capped,
    then jittered into its upper half (rand in [0, 1), random when not given)."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2 ** min(failures - 1, 62))
    rand = random.random() if rand is None else rand
    return ceiling * (0.5 + 0.5 * rand)


def expires_at(sub: Subscription) -> dt.datetime | None:
    """When the active pack expires: its released date plus its `expires` days."""
    if not sub.released or not sub.expires_days:
        return None
    released = dt.datetime.fromisoformat(sub.released).replace(tzinfo=dt.timezone.utc)
    return released + dt.timedelta(days=sub.expires_days)


def update_due(sub: Subscription, now: dt.datetime) -> bool:
    """Whether a background updater should check `sub` now: after a failure, once its backoff
    has elapsed; else when never checked, `expires` days after the last good check, or (the pack
    expired and nothing newer was found) RECHECK_EXPIRED after the last good check."""
    if sub.failures:
        next_try = parse_stamp(sub.next_try)
        return next_try is None or now >= next_try
    last_ok = parse_stamp(sub.last_ok)
    if last_ok is None or not sub.expires_days:
        return True
    if now >= last_ok + dt.timedelta(days=sub.expires_days):
        return True
    expiry = expires_at(sub)
    return expiry is not None and now >= expiry and now >= last_ok + RECHECK_EXPIRED


def update(sub: Subscription, now: dt.datetime | None = None, max_download: int = MAX_DOWNLOAD,
           max_unpacked: int = archive.MAX_BYTES, rand: float | None = None,
           data: Path | None = None) -> Outcome:
    """One check of `sub` (changed in place: record it with subscriptions.save_one). Callers
    that may race another process use update_saved()."""
    now = now or now_utc()
    stage = versions.staging(sub.name, data)
    try:
        outcome = _check(sub, stage, max_download, max_unpacked, data)
    except FetchError as exc:
        outcome = Outcome(sub.name, "failed", "no URL gave the pack: " + "; ".join(exc.reasons))
    except Refused as exc:
        outcome = Outcome(sub.name, "refused", "; ".join(exc.problems))
    except versions.VersionError as exc:  # e.g. a pack directory of the user's own took the name
        outcome = Outcome(sub.name, "refused", str(exc))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    record(sub, outcome, now, rand)
    return outcome


def record(sub: Subscription, outcome: Outcome, now: dt.datetime, rand: float | None = None) -> None:
    sub.last_check, sub.last_result = stamp(now), outcome.result
    if outcome.ok:
        sub.failures, sub.next_try, sub.error, sub.last_ok = 0, None, None, stamp(now)
    else:
        sub.failures += 1
        sub.error = outcome.message
        sub.next_try = stamp(now + dt.timedelta(seconds=backoff(sub.failures, rand)))


def _check(sub: Subscription, stage: Path, max_download: int, max_unpacked: int,
           data: Path | None) -> Outcome:
    active = versions.active_version(sub.name, data)
    known = sub.validators if active else {}
    fetched = fetch(sub.urls(), known, stage / DOWNLOAD, max_download, ca_file=sub.ca_file)
    if not fetched.modified:
        return Outcome(sub.name, "not modified", f"{fetched.url}: not modified; {active} stays")
    header = _verified(sub, stage, max_unpacked)
    version = header.version
    sub.validators[fetched.url] = fetched.validators()
    if version == active:
        _remember(sub, header)
        return Outcome(sub.name, "up to date", f"{fetched.url}: version {version} is already active")
    if version in sub.rolled_back:
        raise Refused([f"{fetched.url}: version {version} was rolled back; it is not activated again "
                       "(waiting for a newer one)"])
    _install(sub.name, stage / "pack", version, data)
    versions.activate(sub.name, version, data)
    versions.prune(sub.name, data=data)
    _remember(sub, header)
    was = f" (was {active})" if active else ""
    return Outcome(sub.name, "updated", f"{fetched.url}: version {version} verified and active{was}")


def _verified(sub: Subscription, stage: Path, max_unpacked: int) -> Header:
    try:
        archive.extract(stage / DOWNLOAD, stage / "pack", max_unpacked)
    except archive.ArchiveError as exc:
        raise Refused(exc.problems) from None
    try:
        public = signing.parse_public(sub.pubkey)
    except signing.SigningError as exc:
        raise Refused([f"the subscription's key: {exc}"]) from None
    verdict = verify_dir(stage / "pack", public)
    inside = str(stage / "pack")
    problems = [p.replace(inside, sub.name) for p in verdict.problems]
    if problems:
        raise Refused(problems)
    header = verdict.header
    if header.name != sub.name:
        raise Refused([f"the pack is named {header.name!r}, not {sub.name!r} (subscribe with --name {header.name})"])
    problem = versions.version_problem(header.version)
    if problem:
        raise Refused([problem])
    return header


def _install(name: str, staged: Path, version: str, data: Path | None) -> None:
    kept = versions.installed(name, version, data)
    if kept is not None:  # kept from before (not active): the new download replaces it
        shutil.rmtree(kept)
    try:
        versions.install(staged, name, version, data)
    except (versions.VersionError, OSError) as exc:
        raise Refused([str(exc)]) from None


def _remember(sub: Subscription, header: Header) -> None:
    sub.version = header.version
    sub.released = header.data["released"]
    sub.expires_days = header.expires_days
    sub.mirrors = [u for u in mirror_urls(sub.name, header.update_urls) if u != sub.url]


def rollback(sub: Subscription, data: Path | None = None) -> str:
    """Activate the version kept before the active one; returns it. VersionError when none is."""
    active = versions.active_version(sub.name, data)
    if active is None:
        raise versions.VersionError(f"{sub.name} has no active version to roll back from")
    before = versions.previous(sub.name, data)
    if before is None:
        raise versions.VersionError(f"no version of {sub.name} before {active} is kept")
    versions.activate(sub.name, before, data)
    sub.rolled_back = list(dict.fromkeys([*sub.rolled_back, active]))
    sub.version = before
    header, _ = load_header(versions.root(sub.name, data) / before)  # its release and expiry
    if header is not None:
        _remember(sub, header)
    return before


# ---- under the pack's lock: what the command line, the dashboard and the background use ----

def update_saved(name: str, data: Path | None = None, **limits) -> Outcome | None:
    """One check of subscription `name` as it is on disk once this process holds the pack's
    lock (another process may have just updated it), its record written back before the lock
    is let go. None when it is no longer subscribed."""
    with versions.lock(name, data):
        sub = load_all().get(name)
        if sub is None:
            return None
        outcome = update(sub, data=data, **limits)
        save_one(sub)
        return outcome


def rollback_saved(name: str, data: Path | None = None) -> tuple[str | None, str]:
    """rollback() of subscription `name` under its lock: (the version rolled back from, the
    version now active). KeyError when it is not subscribed; VersionError when nothing is kept."""
    with versions.lock(name, data):
        sub = load_all()[name]
        was = versions.active_version(name, data)
        now = rollback(sub, data)
        save_one(sub)
        return was, now
