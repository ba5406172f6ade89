"""The kept versions of a subscribed pack and which one is active.

Versions live in the user data dir, one complete directory each:
$XDG_DATA_HOME/feedlens/packs/<name>/<version>/, with `history.json` listing them in the order
they were installed. The active one is the pack directory feedlens.layers reads
(paths.packs_dir()/<name>): a symlink to a version directory, replaced in one rename. A version
directory is written and verified in full before it is linked, and stays until pruned, so no
reader ever sees a half-written pack.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .. import paths

KEEP = 3
HISTORY = "history.json"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"


class VersionError(ValueError):
    """A version that cannot be installed or activated; the message says why."""


def root(name: str) -> Path:
    return paths.data_dir() / "packs" / name


def active_link(name: str) -> Path:
    return paths.packs_dir() / name


def version_problem(version: str) -> str | None:
    if not re.match(VERSION_PATTERN, version) or version in (".", ".."):
        return f"version {version!r} cannot name a directory (letters, digits, . _ + -; at most 64)"
    return None


def _ours(name: str) -> Path | None:
    """The version directory the active link points at, when the link is one this updater made."""
    link = active_link(name)
    if not link.is_symlink():
        return None
    target = Path(os.readlink(link))
    return target if target.parent == root(name) else None


def active_version(name: str) -> str | None:
    """The version the active link points at, when it is one of ours and is there."""
    target = _ours(name)
    return target.name if target is not None and target.is_dir() else None


def foreign(name: str) -> bool:
    """Whether the pack directory `name` exists and is not a link this updater made (the
    user's own pack, which is never replaced)."""
    link = active_link(name)
    return (link.exists() or link.is_symlink()) and _ours(name) is None


def history(name: str) -> list[str]:
    try:
        found = json.loads((root(name) / HISTORY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [v for v in found if isinstance(v, str) and (root(name) / v).is_dir()]


def _write_history(name: str, versions: list[str]) -> None:
    scratch = root(name) / f".{HISTORY}.new"
    scratch.write_text(json.dumps(versions) + "\n", encoding="utf-8")
    os.replace(scratch, root(name) / HISTORY)


def staging(name: str) -> Path:
    """A new scratch directory beside the versions (same file system: installing is a rename)."""
    root(name).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=root(name)))


def installed(name: str, version: str) -> Path | None:
    where = root(name) / version
    return where if where.is_dir() else None


def install(staged: Path, name: str, version: str) -> Path:
    """Move the verified pack directory `staged` to its version directory."""
    problem = version_problem(version)
    if problem:
        raise VersionError(problem)
    target = root(name) / version
    if target.exists():
        raise VersionError(f"version {version} is already installed at {target}")
    os.rename(staged, target)
    _write_history(name, [v for v in history(name) if v != version] + [version])
    return target


def activate(name: str, version: str) -> None:
    """Point the pack directory at `version` in one rename (readers see the old or the new)."""
    target = root(name) / version
    if not target.is_dir():
        raise VersionError(f"version {version} of {name} is not installed")
    if foreign(name):
        raise VersionError(f"{active_link(name)} is your own pack directory, not a subscription's; "
                           "it is never replaced")
    paths.packs_dir().mkdir(parents=True, exist_ok=True)
    scratch = paths.packs_dir() / f".{name}.{os.getpid()}.new"
    scratch.unlink(missing_ok=True)
    os.symlink(target, scratch, target_is_directory=True)
    os.replace(scratch, active_link(name))


def previous(name: str) -> str | None:
    """The kept version installed before the active one."""
    kept, active = history(name), active_version(name)
    if active not in kept:
        return None
    at = kept.index(active)
    return kept[at - 1] if at > 0 else None


def prune(name: str, keep: int = KEEP) -> list[str]:
    """Keep the last `keep` versions (and the active one); returns the versions removed."""
    kept, active = history(name), active_version(name)
    stay = set(kept[-keep:]) | ({active} if active else set())
    gone = [v for v in kept if v not in stay]
    for version in gone:
        shutil.rmtree(root(name) / version, ignore_errors=True)
    _write_history(name, [v for v in kept if v in stay])
    return gone


def remove(name: str) -> None:
    """Unlink the active pack (when it is ours) and delete every kept version."""
    if _ours(name) is not None:
        active_link(name).unlink()
    shutil.rmtree(root(name), ignore_errors=True)
