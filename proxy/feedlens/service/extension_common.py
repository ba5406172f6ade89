"""What the extension's routes share: the extension's state file (quick switches, pause),
the profile the user means, the rules a content script can apply itself, and the parent lock
on changes. extension_api, extension_rules and extension_switches import this module.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from pathlib import Path

from aiohttp import web

from ..files import write_atomic
from ..profiles import MARK_ONLY, TEXT_LANGS, ProfileError, load_profile
from . import parent_guard, profile_files
from .config import CONFIG
from .errors import ApiError
from .views import active_profile

STATE_FILE = "extension.json"
PRISTINE = "default"  # mark only; never edited from the extension
MINE = "mine"
SWITCHES = {"hide_personalized": "no-personalized", "chronological": "chronological"}
PAGE_ACTIONS = ("keep", "label", "blur", "hide")
PAGE_KEYS = frozenset({"platform", "author", "keywords"})

LOCK = web.AppKey("feedlens_extension_lock", asyncio.Lock)
TIMER = web.AppKey("feedlens_extension_timer", dict)


def runtime_of(request_or_app):
    app = request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app
    return app[CONFIG].runtime


def read_state(data_dir: Path) -> dict:
    try:
        data = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(data_dir: Path, data: dict) -> None:
    write_atomic(data_dir / STATE_FILE, json.dumps(data))


def paused_until(app) -> float | None:
    pause_state = read_state(app[CONFIG].data_dir).get("pause")
    return pause_state["until"] if pause_state and pause_state["until"] > time.time() else None


def target_of(app) -> str:
    """The profile the user means: while paused, the one pause will return to."""
    pause_state = read_state(app[CONFIG].data_dir).get("pause")
    return pause_state["return_to"] if pause_state else active_profile(runtime_of(app))


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


def profile_summary(rules_dir: Path, name: str) -> dict:
    info = profile_files.read_profile(rules_dir, name, name) or {}
    rules, titles = [], None
    path = profile_files.profile_path(rules_dir, name)
    if name == profile_files.BUILTIN and not path.is_file():
        titles = _titles(MARK_ONLY)
    if path.is_file() and info.get("valid"):
        profile, now = load_profile(path), datetime.now()
        titles = _titles(profile)
        # compile_profile keeps file order, so compiled rules and their specs pair up
        for rule, spec in zip(profile.rules, profile.raw.get("rules", []), strict=True):
            page = page_rule(spec) if rule.active(now) else None
            if page:
                rules.append(page)
    return {"title": info.get("title"), "titles": titles, "locked": bool(info.get("locked")),
            "page_rules": rules}


def _titles(profile) -> dict[str, str]:
    """The title in each UI language, by language tag: the extension shows the one its user
    picked, which need not be the browser's (and so not the request's) language."""
    return {TEXT_LANGS[lang]: profile.title_in(lang) for lang in TEXT_LANGS}


async def extension_state(app) -> dict:
    runtime, rules_dir = runtime_of(app), app[CONFIG].rules_dir
    active, target = active_profile(runtime), target_of(app)
    summary = await asyncio.to_thread(profile_summary, rules_dir, target)
    switches = {key: {"on": active == name, "available": profile_files.exists(rules_dir, name)}
                for key, name in SWITCHES.items()}
    return {"active": active, "target": target, "title": summary["title"],
            "title_localized": summary["titles"],
            "locked": bool(getattr(runtime.engine.profile, "locked", False)) or summary["locked"],
            "paused_until": paused_until(app), "switches": switches,
            "page_rules": summary["page_rules"]}


async def check_lock(request: web.Request, route: str) -> None:
    """A locked active (or target) profile changes only with the parent PIN (403 without)."""
    app = request.app
    active, target = active_profile(runtime_of(app)), target_of(app)
    locked = (getattr(runtime_of(app).engine.profile, "locked", False)
              or parent_guard.profile_locked(app[CONFIG].rules_dir, active)
              or parent_guard.profile_locked(app[CONFIG].rules_dir, target))
    await parent_guard.require_pin(request, route=route, profile=target, locked=locked)


async def set_profile(runtime, name: str) -> None:
    try:
        await asyncio.to_thread(runtime.set_profile, name)
    except ProfileError as exc:
        raise ApiError(400, f"cannot switch to profile {name!r}", exc.messages,
                       code="profile_switch_refused", params={"name": repr(name)}) from None
