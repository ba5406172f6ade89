"""The parent page's own settings forms: set or change the parent PIN, rename a device.

Setting the first PIN needs only the dashboard (as `feedlens parent set-pin` needs only the
terminal); changing it needs the current PIN, with the same lockout as every other PIN check.
Renaming goes through the parent lock like assigning a profile. Each answers with a notice
on /parent (parent.notice.*), never JSON.
"""

from __future__ import annotations

from aiohttp import web

from ..minors import audit
from ..minors.pin import PinError, check_new_pin
from . import minors_actions, parent_guard, render
from .config import CONFIG
from .errors import ApiError
from .pages import form_action

MAX_LABEL = 64


def setup(app: web.Application) -> None:
    router = app.router
    router.add_post("/parent/pin", form_action(set_pin), name="page_parent_pin")
    router.add_post("/parent/rename", form_action(rename), name="page_parent_rename")


def notice_for(exc: ApiError) -> str:
    """The /parent notice for a refusal of the parent lock or of the minors state."""
    if exc.status == 429:
        return "locked_out"
    if exc.status == 404:
        return "not_found"
    if exc.status == 503:
        return "unavailable"
    if exc.status == 403:
        if "no parent PIN is set" in exc.message:
            return "pin_unset"
        return "wrong_pin" if "wrong" in exc.message else "no_pin"
    return "bad_input"


def back(notice: str, lang: str) -> str:
    return f"/parent?notice={notice}&lang={lang}"


async def set_pin(request: web.Request, lang: str, form: dict) -> str:
    checker = parent_guard.parent_pin(request.app)
    store = request.app[CONFIG].runtime.store
    new, confirm = str(form.get("new_pin", "")), str(form.get("confirm_pin", ""))
    changing = await checker.is_set()
    if changing:
        verdict = await checker.verify(str(form.get("pin", "")), parent_guard.client_of(request))
        if not verdict.ok:
            outcome = "refused_locked_out" if verdict.reason == "locked" else "refused_wrong_pin"
            await audit.record(store, route="page_set_pin", method="POST", outcome=outcome)
            return back("locked_out" if verdict.reason == "locked" else "wrong_pin", lang)
    if new != confirm:
        return back("pin_mismatch", lang)
    try:
        await checker.set_pin(check_new_pin(new))
    except PinError:
        return back("pin_format", lang)
    code = await checker.new_recovery_code()
    await audit.record(store, route="page_set_pin", method="POST",
                       outcome="allowed_with_pin" if changing else "allowed")
    # shown once, in this answer only (never in a URL): `feedlens parent set-pin --reset` needs it
    return render.html_response(request, "recovery.html", lang, {"code": code})


async def rename(request: web.Request, lang: str, form: dict) -> str:
    """A device's label (empty: back to its address); its profile stays as it is."""
    label = str(form.get("label", "")).strip()
    if len(label) > MAX_LABEL:
        return back("bad_input", lang)
    try:
        name = minors_actions.device_name(str(form.get("device", "")))
        minors = minors_actions.minors_of(request.app)
        profile = minors.device_profile(name)
        await parent_guard.require_pin(
            request, route="page_parent_rename", device=name, profile=profile,
            locked=minors_actions.locked(request.app, profile), always_if_set=True,
            pin=str(form.get("pin", "")), detail=label)
        await minors_actions.call(minors.set_device(name, profile, label))
    except ApiError as exc:
        return back(notice_for(exc), lang)
    return back("renamed", lang)
