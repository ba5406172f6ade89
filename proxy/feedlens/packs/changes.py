"""What changed between two versions of a pack: per platform, the adapter's endpoints added,
removed and changed (and the fields of each changed one), read from the two version
directories' platforms/*.yaml. Data only: YAML is read with safe_load, nothing is compiled.
A file that does not read counts as an adapter without endpoints (verification refused it
before it was ever activated, so this is only for kept versions damaged on disk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import versions
from .check import collect


@dataclass
class PlatformChange:
    platform: str
    status: str  # added | removed | changed
    old_version: str | None = None  # the adapter's own `version`
    new_version: str | None = None
    added: list[str] = field(default_factory=list)  # endpoint names
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # endpoint -> its changed fields


def endpoints_of(pack: Path) -> dict[str, tuple[str | None, dict[str, dict]]]:
    """platform -> (the adapter's version, endpoint name -> its definition)."""
    found = {}
    for path in collect([pack / "platforms"])[0] if (pack / "platforms").is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        data = data if isinstance(data, dict) else {}
        platform = str(data.get("platform") or path.stem)
        listed = data.get("endpoints") if isinstance(data.get("endpoints"), list) else []
        endpoints = {str(e.get("name", f"#{n + 1}")): e for n, e in enumerate(listed) if isinstance(e, dict)}
        version = data.get("version")
        found[platform] = (None if version is None else str(version), endpoints)
    return found


def compare(old: Path, new: Path) -> list[PlatformChange]:
    """The platforms whose adapter differs from `old` to `new`, by name."""
    before, after = endpoints_of(old), endpoints_of(new)
    out = []
    for platform in sorted(before.keys() | after.keys()):
        (old_version, was), (new_version, now) = before.get(platform, (None, {})), after.get(platform, (None, {}))
        change = PlatformChange(platform, "changed", old_version, new_version,
                                added=[n for n in now if n not in was],
                                removed=[n for n in was if n not in now],
                                changed={n: _fields(was[n], now[n]) for n in now if n in was and was[n] != now[n]})
        if platform not in before:
            change.status = "added"
        elif platform not in after:
            change.status = "removed"
        elif not (change.added or change.removed or change.changed) and old_version == new_version:
            continue
        out.append(change)
    return out


def _fields(was: dict, now: dict) -> list[str]:
    return sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))


def kept_pair(name: str, data: Path | None = None) -> tuple[str, str] | None:
    """(the other kept version, the active one) of subscription `name`: the version installed
    before the active one, else (after a rollback) the newest kept other one; None when only
    one is kept."""
    active, kept = versions.active_version(name, data), versions.history(name, data)
    if active is None:
        return None
    other = versions.previous(name, data) or next((v for v in reversed(kept) if v != active), None)
    return (other, active) if other else None


def since_kept(name: str, data: Path | None = None) -> dict | None:
    """What changed from the other kept version to the active one, for status and the page."""
    pair = kept_pair(name, data)
    if pair is None:
        return None
    root = versions.root(name, data)
    return {"from": pair[0], "to": pair[1], "platforms": compare(root / pair[0], root / pair[1])}
