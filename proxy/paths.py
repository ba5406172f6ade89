"""Where feedlens finds its rules and keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def rules_dir() -> Path:
    return Path(os.environ.get("FEEDLENS_RULES", PROJECT_ROOT / "rules"))


def platforms_dir(rules: Path | None = None) -> Path:
    return (rules or rules_dir()) / "platforms"


def profiles_dir(rules: Path | None = None) -> Path:
    return (rules or rules_dir()) / "profiles"


def data_dir(given: str | Path | None = None) -> Path:
    """`given` (a --data-dir option), else $FEEDLENS_DATA_DIR, else $XDG_DATA_HOME/feedlens,
    else ~/.local/share/feedlens."""
    if given:
        return Path(given).expanduser()
    if os.environ.get("FEEDLENS_DATA_DIR"):
        return Path(os.environ["FEEDLENS_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "feedlens"


def resolve_profile(name_or_path: str, rules: Path | None = None) -> Path:
    """A profile name (`no-ads`) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return profiles_dir(rules) / f"{name_or_path}.yaml"
