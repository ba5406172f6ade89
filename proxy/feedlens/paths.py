"""Where feedlens finds its rules and keeps its data.

Rules come in two layers: the bundled rules shipped inside the package (`feedlens.rules`, found
through importlib.resources, so an installed feedlens works from any directory), or a rules
directory given with --rules / $FEEDLENS_RULES; and on top, the user's own rules directory in
the XDG config dir. A user file with the same name as a bundled one wins.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def bundled_rules_dir() -> Path:
    """The rules shipped in the package (a wheel install unpacks them on disk)."""
    return Path(str(resources.files("feedlens.rules")))


def rules_dir() -> Path:
    """$FEEDLENS_RULES when set, else the bundled rules."""
    given = os.environ.get("FEEDLENS_RULES")
    return Path(given).expanduser() if given else bundled_rules_dir()


def user_rules_dir() -> Path:
    """The user's own layer: $FEEDLENS_USER_RULES, else $XDG_CONFIG_HOME/feedlens/rules."""
    if os.environ.get("FEEDLENS_USER_RULES"):
        return Path(os.environ["FEEDLENS_USER_RULES"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "feedlens" / "rules"


def is_bundled(rules: Path) -> bool:
    try:
        return Path(rules).resolve() == bundled_rules_dir().resolve()
    except OSError:
        return False


def platforms_dir(rules: Path | None = None) -> Path:
    return (rules or rules_dir()) / "platforms"


def profiles_dir(rules: Path | None = None) -> Path:
    return (rules or rules_dir()) / "profiles"


def writable_profiles_dir(rules: Path | None = None) -> Path:
    """Where profiles the user edits are written: never into the installed package. A rules
    directory the user gave explicitly is theirs to write."""
    rules = rules or rules_dir()
    return profiles_dir(user_rules_dir()) if is_bundled(rules) else profiles_dir(rules)


def layered_files(rules: Path | None, kind: str) -> list[Path]:
    """`kind`/*.yaml of the rules directory and the user's layer, the user's file winning on
    a name clash; sorted by name."""
    found: dict[str, Path] = {}
    for base in (rules or rules_dir(), user_rules_dir()):
        folder = base / kind
        if folder.is_dir():
            for path in folder.glob("*.yaml"):
                if path.is_file():
                    found[path.name] = path
    return [found[name] for name in sorted(found)]


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
    """A profile name (`no-ads`: the user's layer first, then the rules) or a YAML file's path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    mine = profiles_dir(user_rules_dir()) / f"{name_or_path}.yaml"
    if mine.is_file():
        return mine
    return profiles_dir(rules) / f"{name_or_path}.yaml"
