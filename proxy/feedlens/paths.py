"""Where feedlens finds its rules and keeps its data.

Rules come in two layers: the bundled rules shipped inside the package (`feedlens.rules`, found
through importlib.resources, so an installed feedlens works from any directory), or a rules
directory given with --rules / $FEEDLENS_RULES; and on top, the user's own rules directory in
the XDG config dir. A user file with the same name as a bundled one wins. The user's rule packs
(packs_dir(), one directory per pack) layer over both (feedlens.layers); their profiles are
only offered beside the others, never in place of a same-named one.
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


def packs_dir() -> Path:
    """The user's rule packs, one directory each: $FEEDLENS_PACKS, else
    $XDG_CONFIG_HOME/feedlens/packs. The data there stays the user's."""
    if os.environ.get("FEEDLENS_PACKS"):
        return Path(os.environ["FEEDLENS_PACKS"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "feedlens" / "packs"


def pack_dirs() -> list[Path]:
    """The user's pack directories in name order (the order they layer in); hidden ones skipped."""
    try:
        found = [p for p in packs_dir().iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name)


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
    a name clash; sorted by name. Profiles of the user's packs join them under names not taken
    (a pack's profile never replaces one: feedlens.layers reports the clash)."""
    found: dict[str, Path] = {}
    for base in (rules or rules_dir(), user_rules_dir()):
        found.update({p.name: p for p in _yaml_in(base / kind)})
    if kind == "profiles":
        for pack in pack_dirs():
            for path in _yaml_in(pack / kind):
                found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


def _yaml_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.yaml") if p.is_file())


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
    given = profiles_dir(rules) / f"{name_or_path}.yaml"
    if given.is_file():
        return given
    # a pack's profile only under a name neither layer above has
    in_packs = (p for pack in pack_dirs() if (p := profiles_dir(pack) / f"{name_or_path}.yaml").is_file())
    return next(in_packs, given)
