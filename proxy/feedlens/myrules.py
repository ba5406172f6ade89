"""My rules: the user's own layer on top of whichever profile is active (like uBlock Origin's
"My filters").

The layer is one profile-format file, `my-rules.yaml` in the user's config dir
(paths.user_rules_dir()), never in a rules directory or the installed package. The per-item
actions of the extension (hide or always show an author, hide items like one), its quick
switches (rules named `switch:…`) and the dashboard's rule editor all edit this file; the
active profile is chosen separately, so neither undoes the other.

Composition (compose()): the layer's rules run first, then the profile's, in one list; the
first matching rule wins. Consequences, by action:
- a layer `keep` ("always show this author") beats every profile rule for those items,
  including an `allow_only` profile's fallback (the item matched a rule, so it is not
  "unlisted");
- a layer `hide` hides even what the profile would keep;
- `allow_only` anywhere in the composed list (layer or profile) turns the fallback for items
  no rule matched into `hide`, as within one profile;
- `chronological` keeps the items its rule matched and re-sorts them newest first among their
  own places in the list; a layer chronological rule (the "chronological only" switch) thus
  overrides the profile's rules for those items only, and its companion `switch:` rule hides
  the rest of the home feeds.

Locked profiles (a parent's choice for a minor) are never weakened: compose() returns a locked
profile unchanged, and devices a parent assigned a profile get that profile without the layer
(Runtime.profile_engine(…, assigned=True)).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from . import paths
from .profiles import Profile, ProfileError, load_profile_text

FILE_NAME = "my-rules.yaml"
SWITCH_PREFIX = "switch:"

EMPTY = """\
# My rules: feedlens's layer on top of the active profile (first match wins, these first).
# Written by the browser extension and the dashboard's /rules page; you may edit it by hand.
title: My rules
version: 1
rules: []
"""


def layer_path() -> Path:
    """The layer file, in the user's config dir (never the rules dir or the package)."""
    return paths.user_rules_dir() / FILE_NAME


def applies_to(profile: Profile) -> bool:
    """Whether the layer may change what this profile decides: never for a locked one."""
    return not profile.locked


def compose(profile: Profile, layer: Profile | None) -> Profile:
    """One compiled profile: the layer's rules, then the profile's (built once per rules
    generation, not per response). The profile's name, marks, lock and limits stay."""
    if layer is None or not layer.rules or not applies_to(profile):
        return profile
    return dataclasses.replace(profile, rules=[*layer.rules, *profile.rules])


def is_switch(rule_id: str) -> bool:
    return rule_id.startswith(SWITCH_PREFIX)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class Layer:
    """The layer file as last loaded, re-read when it changes (the Runtime's hot reload asks).
    A version that fails to load keeps the previous one in force, with its `file:line` errors."""

    def __init__(self) -> None:
        self.profile: Profile | None = None
        self.text: str | None = None
        self.errors: list[str] = []
        self._stamp: tuple | None = None

    def signature(self) -> tuple:
        return (str(layer_path()), _stamp(layer_path()))

    def load(self) -> bool:
        path = layer_path()
        stamp = _stamp(path)
        if stamp == self._stamp:
            return not self.errors
        self._stamp = stamp
        if stamp is None:  # no file (yet, or removed): no layer
            self.profile, self.text, self.errors = None, None, []
            return True
        try:
            text = path.read_text(encoding="utf-8")
            profile = load_profile_text(text, path, "my-rules")
        except (OSError, UnicodeDecodeError) as exc:
            self.errors = [f"{path}:1: cannot read: {exc}"]
        except ProfileError as exc:
            note = "keeping the previous version" if self.profile else "not applied"
            self.errors = exc.messages + [f"{path}:1: My rules: {note}"]
        else:
            self.profile, self.text, self.errors = profile, text, []
        return not self.errors

    def spec(self) -> tuple[str, str] | None:
        """(path, text) for worker processes, or None when nothing is in force."""
        if self.profile is None or self.text is None or not self.profile.rules:
            return None
        return (self.profile.path, self.text)
