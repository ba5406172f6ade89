"""Per-item rules from the extension: hide or always show an author, hide items like one, and
undo. The extension names an action and the values; the rule is built here and inserted as
text at the top of the profile the user means, so the file's comments survive.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time

import yaml
from aiohttp import web

from ..files import write_atomic
from ..profiles import ProfileError
from . import profile_files, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .extension_common import (LOCK, MINE, PRISTINE, check_lock, page_rule, paused_until,
                               runtime_of, target_of)
from .views import active_profile

KINDS = {"hide_author": "hide", "show_author": "keep", "hide_like": "hide"}
RULE_FIELDS = {"kind": str, "platform": str, "author_id": str, "author": str, "keyword": str}


def build_rule(body: dict) -> dict:
    kind = body["kind"]
    if kind not in KINDS:
        raise ApiError(400, f"kind must be one of {', '.join(KINDS)}")
    platform = v.text(64)(body["platform"]) if body.get("platform") else None
    if platform is None or not re.fullmatch(r"[a-z0-9_]+", platform):
        raise ApiError(400, "platform must be a platform id such as 'bilibili'")
    case = {"platform": platform}
    if kind == "hide_like":
        keyword = " ".join(body.get("keyword", "").split())[:200]
        if not keyword:
            raise ApiError(400, "hide_like needs a keyword")
        when, label, case["title"] = {"keywords": [keyword]}, keyword, keyword
    else:
        authors = [a.strip()[:200] for a in (body.get("author_id"), body.get("author")) if a and a.strip()]
        if not authors:
            raise ApiError(400, f"{kind} needs author_id or author")
        when, label = {"author": list(dict.fromkeys(authors))}, body.get("author") or authors[0]
        case["author_id" if body.get("author_id") else "author"] = authors[0]
    rule_id = f"ext-{kind.replace('_', '-')}-{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
    verb = {"hide_author": "hide items by", "show_author": "always show items by",
            "hide_like": "hide items like"}[kind]
    return {"id": rule_id, "description": f"{verb} {label} (from the browser extension)",
            "source": "extension", "when": {"platform": platform, **when},
            "action": KINDS[kind], "cases": {"match": [case]}}


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
    data = yaml.safe_load(text) or {}  # flow-style or unusual layout: rewrite the document
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
    data = yaml.safe_load(text) or {}
    rules = data.get("rules") or []
    kept = [r for r in rules if not (isinstance(r, dict) and r.get("id") == rule_id)]
    if len(kept) == len(rules):
        return None
    data["rules"] = kept
    return profile_files.to_yaml(data)


_NEW_PROFILE = """\
title: My rules
version: 1
description: Rules added from the browser extension (hide or always show an author, hide items like one).
mark: {title_prefix: "off"}
rules: []
"""


async def _edit(app, name: str, change) -> str:
    """Apply `change(text) -> text` to profile `name`, validated and written atomically."""
    rules_dir = app[CONFIG].rules_dir
    path = profile_files.profile_path(rules_dir, name)
    text = path.read_text(encoding="utf-8") if path.is_file() else _NEW_PROFILE
    new_text = change(text)
    path = profile_files.writable_path(rules_dir, name)
    try:
        await asyncio.to_thread(profile_files.validate, new_text, path, name)
    except ProfileError as exc:
        raise ApiError(400, f"profile {name!r} would become invalid; it was not changed",
                       exc.messages) from None
    await asyncio.to_thread(write_atomic, path, new_text)
    runtime = runtime_of(app)
    if name == active_profile(runtime):
        await asyncio.to_thread(runtime.reload)
    return name


async def add_rule(request: web.Request) -> web.Response:
    body = await v.json_body(request, RULE_FIELDS, required=frozenset({"kind", "platform"}))
    rule = build_rule(body)
    app = request.app
    async with app[LOCK]:
        await check_lock(request, "extension_rules")
        target = target_of(app)
        if target == PRISTINE:
            target = MINE
        name = await _edit(app, target, lambda text: insert_rule(text, rule))
        runtime = runtime_of(app)
        if paused_until(app) is None and active_profile(runtime) != name:
            await asyncio.to_thread(runtime.set_profile, name)
    return json_response({"id": rule["id"], "profile": name, "rule": page_rule(rule)}, status=201)


async def undo(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"id": str}, required=frozenset({"id"}))
    rule_id = body["id"]
    if not re.fullmatch(r"ext-[a-z-]+-\d{8}-[0-9a-f]{6}", rule_id):
        raise ApiError(400, "only rules added from the extension can be undone here")
    app = request.app
    async with app[LOCK]:
        await check_lock(request, "extension_undo")
        rules_dir = app[CONFIG].rules_dir
        for name in dict.fromkeys([target_of(app), MINE, active_profile(runtime_of(app))]):
            path = profile_files.profile_path(rules_dir, name)
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            new_text = remove_rule(text, rule_id) if text else None
            if new_text is not None:
                await _edit(app, name, lambda _: new_text)
                return json_response({"id": rule_id, "profile": name, "removed": True})
    raise ApiError(404, f"no rule {rule_id!r} in the active profile")
