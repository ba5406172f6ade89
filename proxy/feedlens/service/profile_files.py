"""Profile files on disk: list, read, validate, and replace atomically."""

from __future__ import annotations

from pathlib import Path

import yaml

from .. import paths
from ..profiles import MARK_ONLY, Profile, ProfileError, check_cases, load_profile, load_profile_text

BUILTIN = MARK_ONLY.name  # "default" exists even without a file: mark only, no rules


def profile_path(rules_dir: Path, name: str) -> Path:
    """The file a profile is read from: the user's layer first, then the rules directory."""
    return paths.resolve_profile(name, rules_dir)


def writable_path(rules_dir: Path, name: str) -> Path:
    """The file an edited profile is written to (never inside the installed package)."""
    return paths.writable_profiles_dir(rules_dir) / f"{name}.yaml"


def exists(rules_dir: Path, name: str) -> bool:
    return name == BUILTIN or profile_path(rules_dir, name).is_file()


def _summary(name: str, path: Path | None, profile: Profile | None, errors: list[str],
             active: str, lang: str = "en") -> dict:
    """`title` and `description` in English (as before: clients may compare them);
    `*_localized` in `lang`, for showing."""
    out = {"name": name, "path": str(path) if path else None, "active": name == active,
           "builtin": path is None, "valid": not errors, "errors": errors}
    if profile is not None:
        out.update(title=profile.title, version=profile.version,
                   description=profile.description_in("en"), locked=profile.locked,
                   rules=len(profile.rules), title_prefix=profile.title_prefix,
                   title_localized=profile.title_in(lang),
                   description_localized=profile.description_in(lang))
    return out


def summarize(path: Path, active: str, lang: str = "en") -> dict:
    try:
        profile = load_profile(path)
    except ProfileError as exc:
        return _summary(path.stem, path, None, exc.messages, active)
    return _summary(path.stem, path, profile, [], active, lang)


def list_profiles(rules_dir: Path, active: str, lang: str = "en") -> list[dict]:
    found = [summarize(p, active, lang) for p in paths.layered_files(rules_dir, "profiles")]
    if not any(entry["name"] == BUILTIN for entry in found):
        found.insert(0, _summary(BUILTIN, None, MARK_ONLY, [], active, lang))
    return found


def read_profile(rules_dir: Path, name: str, active: str, lang: str = "en") -> dict | None:
    path = profile_path(rules_dir, name)
    if path.is_file():
        return summarize(path, active, lang) | {"yaml": path.read_text(encoding="utf-8")}
    if name == BUILTIN:
        return _summary(BUILTIN, None, MARK_ONLY, [], active, lang) | {"yaml": None}
    return None


def to_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def validate(text: str, path: Path, name: str) -> Profile:
    """Load the text as the file it would become, through the one profile loader, and run its
    inline cases; ProfileError carries the same `file:line` messages as the file would get."""
    profile = load_profile_text(text, path, name)
    failures = check_cases(profile)
    if failures:
        raise ProfileError(failures)
    return profile
