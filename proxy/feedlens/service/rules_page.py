"""The /rules page: choose the active profile, list and remove My rules, write a new one.

No script (the pages' CSP allows none): the editor's "Check" button is a GET of this page with
the draft in the query, which re-renders it with the loader's `new rule:LINE` errors and a
preview on the last items the proxy saw; "Add" and the other changes are form posts
(form_action: cookie or token, csrf field, own Origin). The same actions are JSON routes under
/api/my-rules for the extension and scripts. Every change of a locked profile's setup needs
the parent PIN (parent_guard), as the extension's routes do.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from .. import i18n, myrules
from . import my_rules, parent_guard, profile_files, rule_draft, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .extension_common import LOCK
from .pages import form_action, page
from .rule_text import insert_rule, remove_rule
from .views import active_profile, choose_profile


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/rules", page(render), name="page_rules")
    router.add_post("/rules/active", form_action(choose), name="page_rules_active")
    router.add_post("/rules/add", form_action(add), name="page_rules_add")
    router.add_post("/rules/remove", form_action(remove), name="page_rules_remove")
    router.add_get("/api/my-rules", api_list, name="my_rules")
    router.add_post("/api/my-rules", api_add, name="my_rules_add")
    router.add_post("/api/my-rules/check", api_check, name="my_rules_check")
    router.add_post("/api/my-rules/remove", api_remove, name="my_rules_remove")


# ---- shared by the page and the JSON routes ------------------------------------------------------

def _locked(app) -> bool:
    runtime = app[CONFIG].runtime
    return bool(runtime.profile.locked) or parent_guard.profile_locked(
        app[CONFIG].rules_dir, active_profile(runtime))


async def _add(request: web.Request, text: str, pin: str | None = None) -> rule_draft.Draft:
    """Check the draft and put it first in My rules; the draft's errors say why not."""
    draft = await v.off_loop(rule_draft.check, text)
    if draft.errors:
        return draft
    app = request.app
    async with app[LOCK]:
        await parent_guard.require_pin(request, route="my_rules_add", locked=_locked(app), pin=pin,
                                       profile=active_profile(app[CONFIG].runtime))
        try:
            await my_rules.edit(app, lambda layer: insert_rule(layer, draft.rule))
        except ApiError as exc:  # e.g. a duplicate id: My rules' own file:line messages
            draft.errors = exc.messages or [exc.message]
    return draft


async def _remove(request: web.Request, rule_id: str, pin: str | None = None) -> None:
    app = request.app
    async with app[LOCK]:
        await parent_guard.require_pin(request, route="my_rules_remove", locked=_locked(app),
                                       pin=pin, profile=active_profile(app[CONFIG].runtime))
        layer = await asyncio.to_thread(my_rules.read_text)
        if rule_id not in my_rules.rule_ids(layer):
            raise ApiError(404, f"no rule {rule_id!r} in My rules")
        await my_rules.edit(app, lambda text: remove_rule(text, rule_id) or text)


def _preview(request: web.Request, draft: rule_draft.Draft) -> dict | None:
    if draft.profile is None:
        return None
    runtime = request.app[CONFIG].runtime
    return rule_draft.preview(draft, runtime.engine.profile, runtime.recent.latest(rule_draft.PREVIEW_ITEMS))


def _layer_state(runtime) -> dict:
    return {"path": str(myrules.layer_path()), "errors": list(runtime.layer.errors),
            "applied": myrules.applies_to(runtime.profile)}


# ---- the page --------------------------------------------------------------------------------

async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    app, runtime = request.app, request.app[CONFIG].runtime
    query = request.query
    active = active_profile(runtime)
    profiles = await asyncio.to_thread(profile_files.list_profiles, app[CONFIG].rules_dir, active,
                                       lang)
    layer = await asyncio.to_thread(my_rules.read_text)
    draft_text = query.get("draft", "")[:rule_draft.MAX_CHARS + 1]
    draft = await v.off_loop(rule_draft.check, draft_text) if "draft" in query else None
    return "rules.html", {
        "profiles": profiles, "active": active, "locked": _locked(app),
        "my_rules": my_rules.entries(layer), "layer": _layer_state(runtime),
        "draft": draft, "draft_text": draft_text or EXAMPLE,
        "preview": _preview(request, draft) if draft else None,
        "notice": query.get("notice") if query.get("notice") in NOTICES else None,
        "notice_bad": query.get("notice") in ERROR_NOTICES,
    }


EXAMPLE = "id: hide-crypto\nwhen: {keywords: [crypto, NFT]}\naction: hide\n"
NOTICES = frozenset({"done", "added", "removed", "no_pin", "wrong_pin", "pin_unset", "locked_out",
                     "not_found", "bad_input"})


def _back(lang: str, notice: str, draft: str | None = None) -> str:
    target = f"/rules?lang={lang}&notice={notice}"
    return target + (f"&draft={quote(draft)}" if draft is not None else "")


def _lang(form: dict, fallback: str) -> str:
    return form["lang"] if form.get("lang") in i18n.LANGUAGES else fallback


# The parent lock's refusals, by their stable error codes (service/parent_guard.py).
_NOTICE_OF_CODE = {"pin_not_set": "pin_unset", "wrong_pin": "wrong_pin",
                   "profile_locked": "no_pin", "pin_locked_out": "locked_out"}
ERROR_NOTICES = frozenset({"no_pin", "wrong_pin", "pin_unset", "locked_out", "not_found",
                           "bad_input"})


def _notice(exc: ApiError) -> str:
    if exc.code in _NOTICE_OF_CODE:
        return _NOTICE_OF_CODE[exc.code]
    if exc.status == 429:
        return "locked_out"
    return "not_found" if exc.status == 404 else "bad_input"


async def choose(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        await choose_profile(request, str(form.get("profile", "")), route="page_rules_active",
                             pin=str(form.get("pin", "")) or None)
    except ApiError as exc:
        return _back(lang, _notice(exc))
    return _back(lang, "done")


async def add(request: web.Request, lang: str, form: dict) -> str:
    lang, text = _lang(form, lang), str(form.get("rule", ""))
    try:
        draft = await _add(request, text, pin=str(form.get("pin", "")) or None)
    except ApiError as exc:
        return _back(lang, _notice(exc), text)
    return _back(lang, "bad_input", text) if draft.errors else _back(lang, "added")


async def remove(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        await _remove(request, str(form.get("id", "")), pin=str(form.get("pin", "")) or None)
    except ApiError as exc:
        return _back(lang, _notice(exc))
    return _back(lang, "removed")


# ---- JSON ------------------------------------------------------------------------------------------

async def api_list(request: web.Request) -> web.Response:
    v.query(request, {})
    runtime = request.app[CONFIG].runtime
    layer = await asyncio.to_thread(my_rules.read_text)
    return json_response({**_layer_state(runtime), "active": active_profile(runtime),
                          "rules": my_rules.entries(layer)})


async def api_check(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"rule": str}, required=frozenset({"rule"}))
    draft = await v.off_loop(rule_draft.check, body["rule"])
    return json_response({"valid": not draft.errors, "errors": draft.errors,
                          "preview": _preview(request, draft)})


async def api_add(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"rule": str}, required=frozenset({"rule"}))
    draft = await _add(request, body["rule"], pin=request.headers.get(parent_guard.PIN_HEADER))
    if draft.errors:
        raise ApiError(400, "invalid rule; My rules were not changed", draft.errors)
    return json_response({"id": draft.rule["id"], "path": str(myrules.layer_path())}, status=201)


async def api_remove(request: web.Request) -> web.Response:
    body = await v.json_body(request, {"id": str}, required=frozenset({"id"}))
    await _remove(request, body["id"], pin=request.headers.get(parent_guard.PIN_HEADER))
    return json_response({"id": body["id"], "removed": True})
