"""The kept versions of a subscribed pack and which one is active.

Versions live in the data dir (`--data-dir`, else paths.data_dir()), one complete directory
each: DATA/packs/<name>/<version>/, with `history.json` listing them in the order
they were installed. The active one is the pack directory feedlens.layers reads
(paths.packs_dir()/<name>): a symlink to a version directory, replaced in one rename. A version
directory is written and verified in full before it is linked, and stays until pruned, so no
reader ever sees a half-written pack. Every function takes `data`, the data dir (None: the
default one). lock() keeps two processes (the background updater of `feedlens run` and a
`feedlens rules update`, or two of those) from changing one pack's versions at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .. import paths

KEEP = 3
HISTORY = "history.json"
LOCK = ".lock"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"


class VersionError(ValueError):
    """A version that cannot be installed or activated; the message says why."""


def root(name: str, data: Path | None = None) -> Path:
    return paths.data_dir(data) / "packs" / name


@contextlib.contextmanager
def lock(name: str, data: Path | None = None):
    """Hold the pack's update lock (flock on DATA/packs/<name>/.lock), waiting for another
    process's check to end. Locks are advisory: every changer of the versions takes it."""
    root(name, data).mkdir(parents=True, exist_ok=True)
    with open(root(name, data) / LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def active_link(name: str) -> Path:
    return paths.packs_dir() / name


def version_problem(version: str) -> str | None:
    if not re.match(VERSION_PATTERN, version) or version in (".", ".."):
        return f"version {version!r} cannot name a directory (letters, digits, . _ + -; at most 64)"
    return None


def _ours(name: str, data: Path | None = None) -> Path | None:
    """The version directory the active link points at, when the link is one this updater made."""
    link = active_link(name)
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    return target if target.parent == root(name, data) else None


def active_version(name: str, data: Path | None = None) -> str | None:
    """The version the active link points at, when it is one of ours and is there."""
    target = _ours(name, data)
    return target.name if target is not None and target.is_dir() else None


def foreign(name: str, data: Path | None = None) -> bool:
    """Whether the pack directory `name` exists and is not a link this updater made (the
    user's own pack, which is never replaced)."""
    link = active_link(name)
    return (link.exists() or link.is_symlink()) and _ours(name, data) is None


def history(name: str, data: Path | None = None) -> list[str]:
    try:
        found = json.loads((root(name, data) / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [v for v in found if isinstance(v, str) and (root(name, data) / v).is_dir()]


def _write_history(name: str, versions: list[str], data: Path | None = None) -> None:
    scratch = root(name, data) / f".{HISTORY}.new"
    scratch.write_text(json.dumps(versions) + "\n", encoding="utf-8")
    os.replace(scratch, root(name, data) / HISTORY)


def staging(name: str, data: Path | None = None) -> Path:
    """A new scratch directory beside the versions (same file system: installing is a rename)."""
    root(name, data).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=root(name, data)))


def installed(name: str, version: str, data: Path | None = None) -> Path | None:
    where = root(name, data) / version
    return where if where.is_dir() else None


def install(staged: Path, name: str, version: str, data: Path | None = None) -> Path:
    """Move the verified pack directory `staged` to its version directory."""
    problem = version_problem(version)
    if problem:
        raise VersionError(problem)
    target = root(name, data) / version
    if target.exists():
        raise VersionError(f"version {version} is already installed at {target}")
    os.rename(staged, target)
    _write_history(name, [v for v in history(name, data) if v != version] + [version], data)
    return target


def activate(name: str, version: str, data: Path | None = None) -> None:
    """Point the pack directory at `version` in one rename (readers see the old or the new)."""
    target = root(name, data) / version
    if not target.is_dir():
        raise VersionError(f"version {version} of {name} is not installed")
    if foreign(name, data):
        raise VersionError(f"{active_link(name)} is your own pack directory, not a subscription's; "
                           "it is never replaced")
    paths.packs_dir().mkdir(parents=True, exist_ok=True)
    scratch = paths.packs_dir() / f".{name}.{os.getpid()}.new"
    scratch.unlink(missing_ok=True)
    os.symlink(target, scratch, target_is_directory=True)
    os.replace(scratch, active_link(name))


def previous(name: str, data: Path | None = None) -> str | None:
    """The kept version installed before the active one."""
    kept, active = history(name, data), active_version(name, data)
    if active not in kept:
        return None
    at = kept.index(active)
    return kept[at - 1] if at > 0 else None


def prune(name: str, keep: int = KEEP, data: Path | None = None) -> list[str]:
    """Keep the last `keep` versions (and the active one); returns the versions removed."""
    kept, active = history(name, data), active_version(name, data)
    stay = set(kept[-keep:]) | ({active} if active else set())
    gone = [v for v in kept if v not in stay]
    for version in gone:
        shutil.rmtree(root(name, data) / version, ignore_errors=True)
    _write_history(name, [v for v in kept if v in stay], data)
    return gone


def remove(name: str, data: Path | None = None) -> None:
    """Unlink the active pack (when it is ours) and delete every kept version."""
    if _ours(name, data) is not None:
        active_link(name).unlink()
    shutil.rmtree(root(name, data), ignore_errors=True)
