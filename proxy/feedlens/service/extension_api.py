"""Routes the browser extension needs beyond the core API: pairing, per-item rules, undo,
quick switches and pause. Wire with `extension_api.setup(app)`; the route `extension_pair`
must be reachable without the token (it is how the extension gets the token).

The extension never sends rule text: it names an action and the values (author, keyword), and
the rule is built here, so a compromised extension page cannot write arbitrary rules. Rules go
to the top of the active profile (first match wins: a click on an item beats general rules),
inserted as text so the file's comments survive. "default" stays the pristine mark-only
profile that pause switches to; rules added while it is active go to the profile "mine".
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from datetime import datetime
from pathlib import Path

import yaml
from aiohttp import web

from .. import pairing
from ..files import write_atomic
from ..profiles import ProfileError, load_profile
from . import parent_guard, profile_files, validate as v
from .config import CONFIG, TOKEN
from .errors import ApiError, json_response
from .views import active_profile

log = logging.getLogger(__name__)

STATE_FILE = "extension.json"
PRISTINE = "default"  # mark only; never edited from the extension
MINE = "mine"
SWITCHES = {"hide_personalized": "no-personalized", "chronological": "chronological"}
KINDS = {"hide_author": "hide", "show_author": "keep", "hide_like": "hide"}
PAGE_ACTIONS = ("keep", "label", "blur", "hide")
PAGE_KEYS = frozenset({"platform", "author", "keywords"})
MAX_PAUSE_MINUTES = 240

LOCK = web.AppKey("feedlens_extension_lock", asyncio.Lock)
TIMER = web.AppKey("feedlens_extension_timer", dict)


def setup(app: web.Application) -> None:
    router = app.router
    router.add_post("/api/pair", pair, name="extension_pair")
    router.add_get("/api/extension/state", state, name="extension_state")
    router.add_post("/api/extension/rules", add_rule, name="extension_rules")
    router.add_post("/api/extension/undo", undo, name="extension_undo")
    router.add_post("/api/extension/switch", switch, name="extension_switch")
    router.add_post("/api/extension/pause", pause, name="extension_pause")
    app[LOCK] = asyncio.Lock()
    app[TIMER] = {}
    app.on_startup.append(_restore_pause)
    app.on_cleanup.append(_cancel_timer)


def _runtime(request_or_app):
    app = request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app
    return app[CONFIG].runtime


# ---- pairing -------------------------------------------------------------------------------

async def pair(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"code": str}, required=frozenset({"code"}))
    try:
        await asyncio.to_thread(pairing.redeem, request.app[CONFIG].data_dir, body["code"])
    except pairing.PairingError as exc:
        raise ApiError(403, str(exc)) from None
    return json_response({"token": request.app[TOKEN]})


# ---- state ---------------------------------------------------------------------------------

def _read_state(data_dir: Path) -> dict:
    try:
        data = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(data_dir: Path, data: dict) -> None:
    write_atomic(data_dir / STATE_FILE, json.dumps(data))


def _paused_until(app) -> float | None:
    pause_state = _read_state(app[CONFIG].data_dir).get("pause")
    return pause_state["until"] if pause_state and pause_state["until"] > time.time() else None


def _target(app) -> str:
    """The profile the user means: while paused, the one pause will return to."""
    pause_state = _read_state(app[CONFIG].data_dir).get("pause")
    return pause_state["return_to"] if pause_state else active_profile(_runtime(app))


def page_rule(spec: dict) -> dict | None:
    """A rule the content script can evaluate on visible text and author, or None."""
    when, unless = spec.get("when", {}), spec.get("unless", {})
    if spec["action"] not in PAGE_ACTIONS or not when.keys() & {"author", "keywords"}:
        return None
    if not (set(when) | set(unless)) <= PAGE_KEYS:
        return None

    def listed(cond, key):
        value = cond.get(key)
        return None if value is None else [str(x) for x in (value if isinstance(value, list) else [value])]
    return {"id": spec["id"], "action": spec["action"], "text": spec.get("text"),
            "when": {k: listed(when, k) for k in when},
            "unless": {k: listed(unless, k) for k in unless} or None}


def _profile_summary(rules_dir: Path, name: str) -> dict:
    info = profile_files.read_profile(rules_dir, name, name) or {}
    rules = []
    path = profile_files.profile_path(rules_dir, name)
    if path.is_file() and info.get("valid"):
        profile, now = load_profile(path), datetime.now()
        # compile_profile keeps file order, so compiled rules and their specs pair up
        for rule, spec in zip(profile.rules, profile.raw.get("rules", []), strict=True):
            page = page_rule(spec) if rule.active(now) else None
            if page:
                rules.append(page)
    return {"title": info.get("title"), "locked": bool(info.get("locked")), "page_rules": rules}


async def state(request: web.Request) -> web.Response:
    v.query(request, {})
    parent_guard.note_extension_contact(request.app)  # its silence is a tamper signal
    return json_response(await _state(request.app))


async def _state(app) -> dict:
    runtime, rules_dir = _runtime(app), app[CONFIG].rules_dir
    active, target = active_profile(runtime), _target(app)
    summary = await asyncio.to_thread(_profile_summary, rules_dir, target)
    switches = {key: {"on": active == name, "available": profile_files.exists(rules_dir, name)}
                for key, name in SWITCHES.items()}
    return {"active": active, "target": target, "title": summary["title"],
            "locked": bool(getattr(runtime.engine.profile, "locked", False)) or summary["locked"],
            "paused_until": _paused_until(app), "switches": switches,
            "page_rules": summary["page_rules"]}


async def _check_lock(request: web.Request, route: str) -> None:
    """A locked active (or target) profile changes only with the parent PIN (403 without)."""
    app = request.app
    active, target = active_profile(_runtime(app)), _target(app)
    locked = (getattr(_runtime(app).engine.profile, "locked", False)
              or parent_guard.profile_locked(app[CONFIG].rules_dir, active)
              or parent_guard.profile_locked(app[CONFIG].rules_dir, target))
    await parent_guard.require_pin(request, route=route, profile=target, locked=locked)


# ---- rules ---------------------------------------------------------------------------------

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
    runtime = _runtime(app)
    if name == active_profile(runtime):
        await asyncio.to_thread(runtime.reload)
    return name


async def add_rule(request: web.Request) -> web.Response:
    body = await v.json_body(request, RULE_FIELDS, required=frozenset({"kind", "platform"}))
    rule = build_rule(body)
    app = request.app
    async with app[LOCK]:
        await _check_lock(request, "extension_rules")
        target = _target(app)
        if target == PRISTINE:
            target = MINE
        name = await _edit(app, target, lambda text: insert_rule(text, rule))
        runtime = _runtime(app)
        if _paused_until(app) is None and active_profile(runtime) != name:
            await asyncio.to_thread(runtime.set_profile, name)
    return json_response({"id": rule["id"], "profile": name, "rule": page_rule(rule)}, status=201)


async def undo(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"id": str}, required=frozenset({"id"}))
    rule_id = body["id"]
    if not re.fullmatch(r"ext-[a-z-]+-\d{8}-[0-9a-f]{6}", rule_id):
        raise ApiError(400, "only rules added from the extension can be undone here")
    app = request.app
    async with app[LOCK]:
        await _check_lock(request, "extension_undo")
        rules_dir = app[CONFIG].rules_dir
        for name in dict.fromkeys([_target(app), MINE, active_profile(_runtime(app))]):
            path = profile_files.profile_path(rules_dir, name)
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            new_text = remove_rule(text, rule_id) if text else None
            if new_text is not None:
                await _edit(app, name, lambda _: new_text)
                return json_response({"id": rule_id, "profile": name, "removed": True})
    raise ApiError(404, f"no rule {rule_id!r} in the active profile")


# ---- quick switches and pause --------------------------------------------------------------

async def switch(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"name": str, "on": bool}, required=frozenset({"name", "on"}))
    if body["name"] not in SWITCHES:
        raise ApiError(400, f"name must be one of {', '.join(SWITCHES)}")
    app, profile = request.app, SWITCHES[body["name"]]
    async with app[LOCK]:
        await _check_lock(request, "extension_switch")
        if _paused_until(app) is not None:
            raise ApiError(409, "feedlens is paused; resume it first")
        data_dir, runtime = app[CONFIG].data_dir, _runtime(app)
        saved = _read_state(data_dir)
        current = active_profile(runtime)
        if body["on"]:
            if not profile_files.exists(app[CONFIG].rules_dir, profile):
                raise ApiError(404, f"no profile named {profile!r}")
            if current not in SWITCHES.values():
                saved["return_to"] = current
            await _set_profile(runtime, profile)
        elif current == profile:
            await _set_profile(runtime, saved.pop("return_to", None) or PRISTINE)
        await asyncio.to_thread(_write_state, data_dir, saved)
    return json_response(await _state(app))


async def pause(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"minutes": int}, required=frozenset({"minutes"}))
    minutes = body["minutes"]
    if not 0 <= minutes <= MAX_PAUSE_MINUTES:
        raise ApiError(400, f"minutes must be 0 (resume) to {MAX_PAUSE_MINUTES}")
    app = request.app
    async with app[LOCK]:
        await _check_lock(request, "extension_pause")
        if minutes == 0:
            await _resume(app)
        else:
            data_dir, runtime = app[CONFIG].data_dir, _runtime(app)
            saved = _read_state(data_dir)
            return_to = saved.get("pause", {}).get("return_to") or active_profile(runtime)
            saved["pause"] = {"until": time.time() + minutes * 60, "return_to": return_to}
            await asyncio.to_thread(_write_state, data_dir, saved)
            await _set_profile(runtime, PRISTINE)
            _schedule(app, saved["pause"]["until"])
    return json_response(await _state(app))


async def _set_profile(runtime, name: str) -> None:
    try:
        await asyncio.to_thread(runtime.set_profile, name)
    except ProfileError as exc:
        raise ApiError(400, f"cannot switch to profile {name!r}", exc.messages) from None


async def _resume(app) -> None:
    _cancel(app)
    data_dir = app[CONFIG].data_dir
    saved = _read_state(data_dir)
    paused = saved.pop("pause", None)
    await asyncio.to_thread(_write_state, data_dir, saved)
    runtime = _runtime(app)
    if paused and active_profile(runtime) == PRISTINE and paused["return_to"] != PRISTINE:
        await _set_profile(runtime, paused["return_to"])


def _schedule(app, until: float) -> None:
    _cancel(app)

    async def resume_later():
        await asyncio.sleep(max(0.0, until - time.time()))
        async with app[LOCK]:
            try:
                await _resume(app)
            except ApiError as exc:  # e.g. the profile to return to was deleted meanwhile
                log.warning("feedlens: could not end the pause: %s %s", exc.message, exc.messages or "")
    app[TIMER]["task"] = asyncio.get_running_loop().create_task(resume_later())


def _cancel(app) -> None:
    task = app[TIMER].pop("task", None)
    if task is not None and task is not asyncio.current_task():
        task.cancel()


async def _restore_pause(app: web.Application) -> None:
    paused = _read_state(app[CONFIG].data_dir).get("pause")
    if paused:  # a pause outlives a restart; one that ended while we were down ends now
        _schedule(app, paused["until"])


async def _cancel_timer(app: web.Application) -> None:
    _cancel(app)
