"""Rule text edits that keep a file's comments: insert a rule first in `rules:`, remove one by
id. Used for the extension's rules, My rules and (legacy) profile files."""

from __future__ import annotations

import re

import yaml

from .. import yamlsrc
from . import profile_files


def rule_block(rule: dict, indent: int) -> str:
    text = yaml.safe_dump([rule], allow_unicode=True, sort_keys=False, default_flow_style=None,
                          width=10_000)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


_RULES_KEY = re.compile(r"^rules:[ \t]*(\[\])?[ \t]*(#.*)?$")


def insert_rule(text: str, rule: dict) -> str:
    """The profile text with `rule` first in `rules`, leaving every other line as it was."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = _RULES_KEY.match(line.rstrip("\n"))
        if not match:
            continue
        indent = 2
        for following in lines[index + 1:]:
            stripped = following.strip()
            if stripped and not stripped.startswith("#"):
                if following[0] in " -" and stripped.startswith("-") and not match.group(1):
                    indent = len(following) - len(following.lstrip(" "))
                break
        head = "rules:\n" if match.group(1) else line if line.endswith("\n") else line + "\n"
        return "".join(lines[:index]) + head + rule_block(rule, indent) + "".join(lines[index + 1:])
    data = yamlsrc.data(text) or {}  # flow-style or unusual layout: rewrite the document
    data["rules"] = [rule, *(data.get("rules") or [])]
    return profile_files.to_yaml(data)


def remove_rule(text: str, rule_id: str) -> str | None:
    """The profile text without the rule `rule_id`, or None when it has no such rule."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf"^(\s*)- id: ['\"]?{re.escape(rule_id)}['\"]?\s*$", line)), None)
    if start is not None:
        indent = len(lines[start]) - len(lines[start].lstrip(" "))
        end = start + 1
        while end < len(lines):
            line = lines[end]
            width = len(line) - len(line.lstrip(" "))
            if line.strip() and width <= indent:  # the next rule, or a key after the list
                break
            end += 1
        return "".join(lines[:start] + lines[end:])
    data = yamlsrc.data(text) or {}
    rules = data.get("rules") or []
    kept = [r for r in rules if not (isinstance(r, dict) and r.get("id") == rule_id)]
    if len(kept) == len(rules):
        return None
    data["rules"] = kept
    return profile_files.to_yaml(data)
