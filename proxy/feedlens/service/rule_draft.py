"""A new My rule as typed in the dashboard's editor: checked through the one strict profile
loader (errors as `new rule:LINE: …`, the line in the editor) and previewed on the last items
the proxy saw (runtime.recent, in memory: empty right after a restart).

The editor holds one rule in YAML, as an entry of a profile's `rules:` list without the dash:

    id: hide-crypto
    when: {keywords: [crypto]}
    action: hide
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime

from .. import myrules, yamlsrc
from ..profiles import Profile, ProfileError, decide, load_profile_text

MAX_CHARS = 4000
PREVIEW_ITEMS = 200
NAME = "new rule"  # the "file" the editor's messages name
_HEAD = "title: New rule\nversion: 1\nrules:\n"
_OFFSET = _HEAD.count("\n")


@dataclass
class Draft:
    text: str
    errors: list[str] = field(default_factory=list)
    rule: dict | None = None  # the rule, once it is valid
    profile: Profile | None = None


def _wrap(text: str) -> str:
    lines = text.strip("\n").splitlines() or [""]
    if lines[0].lstrip().startswith("- "):  # pasted from a profile, dash and all
        lines[0] = lines[0].lstrip()[2:]
    return _HEAD + "".join(("  - " if i == 0 else "    ") + line + "\n"
                           for i, line in enumerate(lines))


def _editor_line(message: str) -> str:
    """`new rule:7: …` counted in the wrapped text → the line in the editor."""
    match = re.match(rf"^{re.escape(NAME)}:(\d+): ", message)
    if not match:
        return message
    line = max(1, int(match.group(1)) - _OFFSET)
    return f"{NAME}:{line}: {message[match.end():]}"


def check(text: str) -> Draft:
    """Parse and validate one rule; a valid draft carries the rule and a one-rule profile."""
    draft = Draft(text=text)
    if not text.strip():
        draft.errors = [f"{NAME}:1: write a rule: id, when, action"]
    elif len(text) > MAX_CHARS:
        draft.errors = [f"{NAME}:1: a rule of at most {MAX_CHARS} characters, please"]
    else:
        wrapped = _wrap(text)
        try:
            draft.profile = load_profile_text(wrapped, NAME, "new-rule")
        except ProfileError as exc:
            draft.errors = [_editor_line(m) for m in exc.messages]
        else:
            draft.rule = yamlsrc.data(wrapped)["rules"][0]
            if myrules.is_switch(str(draft.rule["id"])):
                draft.errors = [f"{NAME}:1: ids starting with `switch:` belong to the quick switches"]
    if draft.errors:
        draft.rule = draft.profile = None
    return draft


def preview(draft: Draft, active: Profile, items: list) -> dict:
    """How the draft, put first in My rules, would change what the last items' decisions are."""
    items = [copy.deepcopy(item) for item in items[-PREVIEW_ITEMS:]]  # decide() adds labels
    now = datetime.now()
    rule = draft.profile.rules[0]
    with_draft = myrules.compose(active, draft.profile)
    hidden_now = sum(d.action == "hide" for d in decide(active, items, now))
    hidden_then = sum(d.action == "hide" for d in decide(with_draft, items, now))
    return {"total": len(items), "matched": sum(rule.matches(item, now) for item in items),
            "hidden_now": hidden_now, "hidden": hidden_then,
            "applied": myrules.applies_to(active)}
