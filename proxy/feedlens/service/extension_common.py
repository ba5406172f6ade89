"""What the extension's routes share: the extension's state file (the pause's end), the rules
a content script can apply itself (My rules', then the active profile's), and the parent lock
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
from .. import myrules
from ..profiles import MARK_ONLY, TEXT_LANGS, load_profile
from . import my_rules, parent_guard, profile_files
from .config import CONFIG
from .views import active_profile

STATE_FILE = "extension.json"
MY_RULES = "my-rules"  # what the extension's answers call the layer its rules go to
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
    """The profile the user means: the active one (a pause no longer switches profiles)."""
    return active_profile(runtime_of(app))


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
    """Title and lock of profile `name`, and the page rules in force: My rules' first (unless
    the profile is locked), then the profile's."""
    info = profile_files.read_profile(rules_dir, name, name) or {}
    path = profile_files.profile_path(rules_dir, name)
    layer = my_rules.compiled_layer(my_rules.read_text())
    profile = load_profile(path) if path.is_file() and info.get("valid") else None
    if profile is None and name == profile_files.BUILTIN:
        profile_titles = _titles(MARK_ONLY)
    else:
        profile_titles = _titles(profile) if profile is not None else None
    rules = []
    if layer is not None and not info.get("locked"):
        rules += _page_rules(layer)
    if profile is not None:
        rules += _page_rules(profile)
    return {"title": info.get("title"), "titles": profile_titles, "locked": bool(info.get("locked")),
            "page_rules": rules}


def _titles(profile) -> dict[str, str]:
    """The title in each UI language, by language tag: the extension shows the one its user
    picked, which need not be the browser's (and so not the request's) language."""
    return {TEXT_LANGS[lang]: profile.title_in(lang) for lang in TEXT_LANGS}


def _page_rules(profile) -> list[dict]:
    now, out = datetime.now(), []
    # compile_profile keeps file order, so compiled rules and their specs pair up
    for rule, spec in zip(profile.rules, profile.raw.get("rules", []), strict=True):
        page = page_rule(spec) if rule.active(now) else None
        if page:
            out.append(page)
    return out


async def extension_state(app) -> dict:
    runtime, rules_dir = runtime_of(app), app[CONFIG].rules_dir
    active, target = active_profile(runtime), target_of(app)
    summary = await asyncio.to_thread(profile_summary, rules_dir, target)
    layer = await asyncio.to_thread(my_rules.read_text)
    switches = {key: {"on": my_rules.switch_on(layer, key), "available": True}
                for key in my_rules.SWITCHES}
    return {"active": active, "target": target, "title": summary["title"],
            "title_localized": summary["titles"],
            "locked": bool(getattr(runtime.engine.profile, "locked", False)) or summary["locked"],
            "paused_until": paused_until(app), "switches": switches,
            "page_rules": summary["page_rules"], "my_rules": str(myrules.layer_path())}


async def check_lock(request: web.Request, route: str) -> None:
    """A locked active (or target) profile changes only with the parent PIN (403 without)."""
    app = request.app
    active, target = active_profile(runtime_of(app)), target_of(app)
    locked = (getattr(runtime_of(app).engine.profile, "locked", False)
              or parent_guard.is_locked(app, active) or parent_guard.is_locked(app, target))
    await parent_guard.require_pin(request, route=route, profile=target, locked=locked)
