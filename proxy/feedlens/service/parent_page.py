"""The parent's dashboard page `/parent` and its forms (approve or decline a time request,
give extra time, assign a profile). Rendered on the server from templates/parent.html like the
main dashboard: no scripts, the page's CSS through the nonce. Every form carries a PIN field;
the parent lock checks it like the API does.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from .. import i18n, paths, phrases
from . import minors_actions, parent_forms, profile_files, validate as v
from .config import CONFIG
from .errors import ApiError
from .pages import form_action, page
from .parent_forms import notice_for

NOTICES = ("done", "wrong_pin", "locked_out", "no_pin", "pin_unset", "not_found", "bad_input",
           "unavailable", "pin_saved", "pin_mismatch", "pin_format", "renamed")
BAD_NOTICES = frozenset({"wrong_pin", "locked_out", "no_pin", "pin_unset", "not_found", "bad_input",
                         "unavailable", "pin_mismatch", "pin_format"})
AUDIT_ROWS = 20


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/parent", page(render), name="page_parent")
    router.add_post("/parent/requests/{id}", form_action(decide), name="page_parent_decide")
    router.add_post("/parent/grant", form_action(grant), name="page_parent_grant")
    router.add_post("/parent/device", form_action(assign), name="page_parent_device")
    parent_forms.setup(app)


# ---- the page's context ------------------------------------------------------------------

async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    notice = request.query.get("notice")
    notice = notice if notice in NOTICES else None
    context = {"notice": notice, "notice_bad": notice in BAD_NOTICES, "unavailable": False}
    try:
        data = await minors_actions.build_overview(request.app)
    except ApiError:
        return "parent.html", {**context, "unavailable": True}
    t = i18n.translator(lang)
    names = category_names(request.app, lang)
    profiles = [p["name"] for p in profile_files.list_profiles(request.app[CONFIG].rules_dir, "")
                if p.get("valid")]
    return "parent.html", {
        **context, "pin_state": _pin(data["pin"], t), "pin_is_set": data["pin"]["set"],
        "profiles": profiles, "active_profile": data["active_profile"],
        "devices": [_device(d, names, t) for d in data["devices"]],
        "requests": data["requests"], "signals": data["signals"],
        "lock_problems": _lock_problems(data["parent_lock"], t),
        "audit": data["audit"][:AUDIT_ROWS], "clock": clock}


def _lock_problems(lock: dict, t: i18n.Translator) -> list[str]:
    return ([t("parent.lock_fallback", profile=name) for name in sorted(lock["fallbacks"])]
            + [t("parent.lock_pending", profile=name) for name in sorted(lock["pending"])]
            + ([t("parent.lock_refused", profile=lock["active"])] if lock["refused"] else []))


def clock(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "–"


def _pin(status: dict, t: i18n.Translator) -> str:
    if not status["set"]:
        return t("parent.pin_unset")
    if status.get("locked_until"):
        return t("parent.pin_locked", until=clock(status["locked_until"]))
    return t("parent.pin_set")


def _minutes(value, t: i18n.Translator) -> str:
    return t("parent.unlimited") if value is None else t("parent.minutes", n=round(value))


def _items(n: int, t: i18n.Translator) -> str:
    return t("parent.items_one") if n == 1 else t("parent.items", n=n)


def _filtered(counts: dict | None, names: dict[str, str], t: i18n.Translator) -> list[str]:
    """Lines: each category (named from its phrase list), then each decision."""
    counts = counts or {}
    lines = [f"{names[c]} ({c}): {_items(n, t)}" if c in names
             else f"{c}: {_items(n, t)}"
             for c, n in sorted((counts.get("by_category") or {}).items(), key=lambda kv: -kv[1])]
    lines += [f"{t.get('parent.decision.' + d, d)}: {_items(n, t)}"
              for d, n in (counts.get("by_decision") or {}).items()]
    return lines


def category_names(app: web.Application, lang: str) -> dict[str, str]:
    """Category id -> its name in `lang`, from the phrase lists the profiles use."""
    try:
        library = phrases.library_for(paths.profiles_dir(app[CONFIG].rules_dir) / "any.yaml")
    except phrases.PhraseError:
        return {}
    return {c: pl.name(lang) for c, pl in library.lists.items()}


def _state(status: dict, t: i18n.Translator) -> str:
    if status.get("blocked"):
        reason = status.get("reason")
        key = f"parent.blocked.{reason}" if reason in ("curfew", "budget") else "parent.blocked.other"
        return t(key, until=clock(status.get("until")))
    return t("parent.rest_due") if status.get("rest_due") else t("parent.open")


def _formats(formats: list[dict], t: i18n.Translator) -> list[str]:
    """One line per limited format: its minutes today against today's budget, and whether it is
    hidden now (budget spent, or in its curfew)."""
    lines = []
    for entry in formats:
        name = t.get("parent.format." + entry["format"], entry["format"])
        if entry.get("provenance"):  # a limit narrowed to provenances: "Video (Personalised, Popular)"
            name += " (" + ", ".join(t.get("common.provenance." + p, p) for p in entry["provenance"]) + ")"
        line = t("parent.format_line", format=name, used=_minutes(entry.get("used_minutes", 0), t),
                 budget=_minutes(entry.get("budget_minutes"), t))
        if entry.get("hidden"):
            line += " · " + t(f"parent.format_hidden.{entry.get('reason')}", window=entry.get("curfew"))
        elif entry.get("curfew"):
            line += " · " + t("parent.format_curfew", window=entry["curfew"])
        lines.append(line)
    return lines


def _device(device: dict, names: dict[str, str], t: i18n.Translator) -> dict:
    """One row of the devices table: the device's data and its times and state in words."""
    usage = device.get("usage") or {}
    return {**device, "state": _state(device.get("status") or {}, t),
            "filtered": _filtered(device.get("filtered_today"), names, t),
            "formats": _formats(usage.get("formats") or [], t),
            "times": [_minutes(usage.get("today_minutes", 0), t),
                      _minutes(usage.get("week_minutes", 0), t),
                      _minutes(usage.get("budget_minutes"), t),
                      _minutes(usage.get("remaining_minutes"), t)]}


# ---- forms ---------------------------------------------------------------------------------

def _back(notice: str, lang: str) -> str:
    return f"/parent?notice={quote(notice)}&lang={lang}"


def _lang(form: dict, fallback: str) -> str:
    return form["lang"] if form.get("lang") in i18n.LANGUAGES else fallback


def _form_minutes(form: dict) -> int | None:
    text = str(form.get("minutes", "")).strip()
    if not text:
        return None
    try:
        return v.integer(1, minors_actions.MAX_GRANT_MINUTES)(text)
    except ApiError:
        raise ApiError(400, "bad minutes") from None


async def decide(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        request_id = v.integer(1, 2**62)(request.match_info["id"])
        approve = str(form.get("approve")) == "1"
        await minors_actions.apply_decision(request, request_id, approve,
                                        _form_minutes(form) if approve else None,
                                        pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(notice_for(exc), lang)
    return _back("done", lang)


async def grant(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        device = minors_actions.device_name(str(form.get("device", "")))
        minutes = _form_minutes(form)
        if minutes is None:
            raise ApiError(400, "minutes missing")
        await minors_actions.apply_grant(request, device, minutes, pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(notice_for(exc), lang)
    return _back("done", lang)



async def assign(request: web.Request, lang: str, form: dict) -> str:
    lang = _lang(form, lang)
    try:
        device = minors_actions.device_name(str(form.get("device", "")))
        await minors_actions.apply_set_device(request, device, str(form.get("profile", "")), None,
                                          pin=str(form.get("pin", "")))
    except ApiError as exc:
        return _back(notice_for(exc), lang)
    return _back("done", lang)
