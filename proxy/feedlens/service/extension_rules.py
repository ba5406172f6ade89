"""Per-item rules from the extension: hide or always show an author, hide items like one, and
undo. The extension names an action and the values; the rule is built here and inserted as
text at the top of My rules (the user's layer over the active profile, service/my_rules.py),
so the file's comments survive and switching profiles or quick switches never undo it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time

from aiohttp import web

from ..files import write_atomic
from ..profiles import ProfileError
from . import my_rules, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .extension_common import LOCK, MY_RULES, check_lock, page_rule, runtime_of
from .rule_text import insert_rule, remove_rule, rule_block  # noqa: F401 (re-exported)
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


async def _edit_profile(app, name: str, change) -> str:
    """Apply `change(text) -> text` to profile `name` (rules added there before My rules)."""
    rules_dir = app[CONFIG].rules_dir
    new_text = change(profile_files.profile_path(rules_dir, name).read_text(encoding="utf-8"))
    path = profile_files.writable_path(rules_dir, name)
    try:
        await asyncio.to_thread(profile_files.validate, new_text, path, name)
    except ProfileError as exc:
        raise ApiError(400, f"profile {name!r} would become invalid; it was not changed",
                       exc.messages) from None
    await asyncio.to_thread(write_atomic, path, new_text)
    await asyncio.to_thread(runtime_of(app).reload)
    return name


async def add_rule(request: web.Request) -> web.Response:
    body = await v.json_body(request, RULE_FIELDS, required=frozenset({"kind", "platform"}))
    rule = build_rule(body)
    app = request.app
    async with app[LOCK]:
        await check_lock(request, "extension_rules")
        # My rules, never the active profile: a quick switch or another profile keeps it
        await my_rules.edit(app, lambda text: insert_rule(text, rule))
    return json_response({"id": rule["id"], "profile": MY_RULES, "rule": page_rule(rule)},
                         status=201)


async def undo(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"id": str}, required=frozenset({"id"}))
    rule_id = body["id"]
    if not re.fullmatch(r"ext-[a-z-]+-\d{8}-[0-9a-f]{6}", rule_id):
        raise ApiError(400, "only rules added from the extension can be undone here")
    app = request.app
    async with app[LOCK]:
        await check_lock(request, "extension_undo")
        layer = await asyncio.to_thread(my_rules.read_text)
        if rule_id in my_rules.rule_ids(layer):
            await my_rules.edit(app, lambda text: remove_rule(text, rule_id) or text)
            return json_response({"id": rule_id, "profile": MY_RULES, "removed": True})
        name = active_profile(runtime_of(app))  # a rule added before My rules existed
        path = profile_files.profile_path(app[CONFIG].rules_dir, name)
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        new_text = remove_rule(text, rule_id) if text else None
        if new_text is not None:
            await _edit_profile(app, name, lambda _: new_text)
            return json_response({"id": rule_id, "profile": name, "removed": True})
    raise ApiError(404, f"no rule {rule_id!r} in My rules")
