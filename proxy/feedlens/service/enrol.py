"""Enrolling a device, the parent's side: `/enrol` asks for the device's name and profile (and
the parent PIN), then shows the device's enrolment page as a QR code to scan with the device.

The code in that URL is the device's one capability: it opens the enrolment page on the LAN
dashboard (enrol_device.py) for ENROL_TTL, lets that device download the CA and assign itself
the profile the parent chose, once. The links are kept in the store, their codes only as hashes
(minors/enrolments.py): a restart of feedlens keeps every link a parent made.
"""

from __future__ import annotations

import re

from aiohttp import web

from ..addresses import host_port
from ..minors import enrolments
from ..minors.enrolments import Enrolment
from . import household_ca, minors_actions, parent_guard, profile_files, render as r, setup_steps
from .config import CONFIG, TOKEN
from .errors import ApiError
from .pages import csrf_value, form_action, message, page

ENROL_TTL = enrolments.TTL
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


def setup(app: web.Application) -> None:
    app.router.add_get("/enrol", page(render), name="page_enrol")
    app.router.add_post("/enrol", form_action(create), name="page_enrol_create")


def store_of(app: web.Application):
    return app[CONFIG].runtime.store


async def new_code(app: web.Application, name: str, profile: str, now: float | None = None) -> str:
    return await enrolments.create(store_of(app), name, profile, now)


async def find(app: web.Application, code: str, now: float | None = None) -> Enrolment | None:
    return await enrolments.find(store_of(app), code, now)


def lan_origin(app: web.Application) -> str | None:
    household = app[CONFIG].household
    if household is None:
        return None
    return f"https://{host_port(*household)}"


def enrol_url(app: web.Application, code: str) -> str | None:
    origin = lan_origin(app)
    return f"{origin}/enrol/{code}" if origin else None


async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    profiles = [p["name"] for p in profile_files.list_profiles(request.app[CONFIG].rules_dir, "")
                if p.get("valid")]
    return "enrol.html", {"household": lan_origin(request.app), "profiles": profiles}


async def create(request: web.Request, lang: str, form: dict):
    app = request.app
    name, profile = str(form.get("name", "")).strip().lower(), str(form.get("profile", ""))
    if lan_origin(app) is None:
        return message(request, lang, "household.mode_off", 409)
    if not NAME.match(name) or not profile_files.exists(app[CONFIG].rules_dir, profile):
        return message(request, lang, "household.enrol_bad_input", 400)
    try:
        await parent_guard.require_pin(request, route="page_enrol_create", profile=profile,
                                       device=f"user:{name}", always_if_set=True,
                                       locked=minors_actions.locked(app, profile),
                                       pin=str(form.get("pin", "")) or None)
    except ApiError as exc:
        return message(request, lang, "forms.failed", exc.status, detail=exc.message)
    url = enrol_url(app, await new_code(app, name, profile))
    ca = household_ca.ca_certificate(app[CONFIG].data_dir)
    token = app[TOKEN]
    return r.html_response(request, "enrol_qr.html", lang, {
        "current": "/enrol", "name": name, "profile": profile, "url": url,
        "qr": setup_steps.qr_svg(url), "fingerprint": household_ca.fingerprint(ca),
        "hours": int(ENROL_TTL // 3600)}, csrf=lambda action: csrf_value(token, action))
