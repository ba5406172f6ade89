"""Edits of My rules (feedlens.myrules), the user's layer over the active profile, for the
extension's per-item actions and quick switches and the dashboard's /rules page.

The layer's order, top to bottom: the pause rule, then rules added by hand or per item (newest
first), then the quick switches (appended), so "always show this author" beats "hide
personalised" and a pause beats everything. Every edit is validated as the file it would
become, through the one profile loader (file:line errors), written atomically into the user's
config dir and reloaded at once; nothing is written into a rules directory or the package.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import yaml

from .. import myrules, yamlsrc
from ..files import write_atomic
from ..yamlsrc import YamlError
from ..profiles import Profile, ProfileError, load_profile_text
from . import profile_files
from .rule_text import insert_rule, remove_rule, rule_block
from .config import CONFIG
from .errors import ApiError
from . import validate as v

PAUSE = [{"id": "switch:pause", "description": "Pause: keep everything until the pause ends",
          "source": "extension", "action": "keep"}]
SWITCHES = {
    "hide_personalized": [
        {"id": "switch:hide-personalized", "description": "Hide personalised recommendations",
         "source": "extension", "when": {"provenance": "personalized"}, "action": "hide"}],
    "chronological": [
        {"id": "switch:chronological", "description": "Followed and own items, newest first",
         "source": "extension", "when": {"provenance": ["followed", "own"]},
         "action": "chronological"},
        {"id": "switch:chronological:others", "description": "Chronological only: hide the rest "
         "of home, following and related feeds", "source": "extension",
         "when": {"surface": ["home", "following", "related"]}, "action": "hide"}],
}


def read_text() -> str:
    path = myrules.layer_path()
    return path.read_text(encoding="utf-8") if path.is_file() else myrules.EMPTY


def rule_ids(text: str) -> list[str]:
    try:
        data = yamlsrc.data(text) or {}
    except YamlError:
        return []
    rules = data.get("rules") if isinstance(data, dict) else None
    return [r.get("id") for r in rules or [] if isinstance(r, dict)]


def switch_on(text: str, name: str) -> bool:
    ids = set(rule_ids(text))
    return all(rule["id"] in ids for rule in SWITCHES[name])


def validate(text: str) -> Profile:
    """The layer as it would be, through the one profile loader and its inline cases."""
    return profile_files.validate(text, myrules.layer_path(), "my-rules")


async def edit(app, change) -> str:
    """Apply `change(text) -> text` to the layer, validated, written atomically and reloaded."""
    text = await asyncio.to_thread(read_text)
    new_text = await v.off_loop(lambda: _tidy(change(text)))
    if new_text == text:
        return text
    try:
        await v.off_loop(validate, new_text)
    except ProfileError as exc:
        raise ApiError(400, "My rules would become invalid; nothing was changed",
                       exc.messages) from None
    await asyncio.to_thread(write_atomic, myrules.layer_path(), new_text)
    await asyncio.to_thread(app[CONFIG].runtime.reload)
    return new_text


# ---- text edits that keep the file's comments ------------------------------------------------

def _tidy(text: str) -> str:
    """`rules:` left without items (the last one removed) becomes `rules: []` again."""
    try:
        data = yamlsrc.data(text)
    except YamlError:
        return text  # the loader will say where
    if isinstance(data, dict) and "rules" in data and data["rules"] is None:
        return re.sub(r"^rules:[ \t]*$", "rules: []", text, count=1, flags=re.MULTILINE)
    return text


def append_rules(text: str, rules: list[dict]) -> str:
    """The layer text with `rules` last in `rules:` (when that key ends the file, as in ours)."""
    data = yamlsrc.data(text) or {}
    if not data.get("rules"):
        for rule in reversed(rules):
            text = insert_rule(text, rule)
        return text
    if list(data)[-1] != "rules":  # hand-reordered keys: rewrite the document
        data["rules"] = [*data["rules"], *rules]
        return profile_files.to_yaml(data)
    first = re.search(r"^( *)- ", text.split("rules:", 1)[1], re.MULTILINE)
    indent = len(first.group(1)) if first else 2
    return text.rstrip("\n") + "\n" + "".join(rule_block(rule, indent) for rule in rules)


def remove_rules(text: str, ids: list[str]) -> str:
    for rule_id in ids:
        text = remove_rule(text, rule_id) or text
    return text


def set_switch(text: str, rules: list[dict], on: bool, first: bool = False) -> str:
    """Add the switch's rules (last, or first for the pause) or remove them."""
    text = remove_rules(text, [rule["id"] for rule in rules])
    if not on:
        return text
    if first:
        for rule in reversed(rules):
            text = insert_rule(text, rule)
        return text
    return append_rules(text, rules)


# ---- what the pages show -------------------------------------------------------------------------

def entries(text: str) -> list[dict]:
    """The layer's rules for listing: id, action, description, conditions as YAML."""
    data = yamlsrc.data(text) or {}
    out = []
    for spec in data.get("rules") or []:
        if not isinstance(spec, dict):
            continue
        out.append({"id": str(spec.get("id")), "action": spec.get("action"),
                    "description": spec.get("description"), "switch": myrules.is_switch(str(spec.get("id"))),
                    "when": _flow(spec.get("when")), "unless": _flow(spec.get("unless"))})
    return out


def _flow(condition) -> str:
    """A condition on one line, as a rule file would write it in flow style."""
    if not condition:
        return ""
    return yaml.safe_dump(condition, allow_unicode=True, default_flow_style=True, sort_keys=False,
                          width=10_000).strip()


def compiled_layer(text: str, path: Path | None = None) -> Profile | None:
    try:
        return load_profile_text(text, path or myrules.layer_path(), "my-rules")
    except ProfileError:
        return None
