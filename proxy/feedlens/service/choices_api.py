"""The choice watchdog for the user (issue 22, "tell the user"): `GET /api/choices` (token, like
every /api route; `?host=` picks the platform of a site, for the extension's popup), the
dashboard page "Your choices" (/choices) and its one form: hide personalised items on a platform
until the watchdog reads the choice honoured again (feedlens.choices.hide, a My-rules entry that
the watchdog removes by itself). The data comes from the watchdog's tables (choices/view.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from aiohttp import web

from ..choices import chart, hide, view
from . import choices_declare, my_rules, validate as v
from .config import CONFIG
from .errors import ApiError, json_response
from .pages import form_action, page


NOTICES = ("hiding", "not_hiding", "declared_off", "declared_on", "withdrawn")


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/choices", api, name="choices")
    router.add_get("/choices", page(render), name="page_choices")
    router.add_post("/choices/hide", form_action(hide_form), name="page_choices_hide")


def _adapters(app: web.Application) -> list:
    return list(app[CONFIG].runtime.profile_engine(None).engine.adapters.adapters)


def platform_of_host(adapters: list, host: str) -> str | None:
    """The platform whose endpoints serve this site: the same host or a subdomain either way,
    else the same last two labels (www.bilibili.com for app.bilibili.com)."""
    host = host.lower().rstrip(".")
    site = ".".join(host.split(".")[-2:])
    fallback = None
    for adapter in adapters:
        for endpoint in adapter.endpoints:
            for known in endpoint.hosts:
                if host == known or host.endswith("." + known) or known.endswith("." + host):
                    return adapter.platform
                if fallback is None and ".".join(known.split(".")[-2:]) == site:
                    fallback = adapter.platform
    return fallback


async def choices_data(app: web.Application, platform: str | None = None) -> dict:
    """`declare` (with a platform): required when the platform is watched only once the user
    declared their choice, optional, or None (the platform has no choice to watch)."""
    sections = choices_declare.sections(app)
    tracks = await app[CONFIG].runtime.store.run_read(lambda db: view.read_choices(db, platform, sections))
    hidden = hide.hidden_platforms(await asyncio.to_thread(my_rules.read_text))
    for track in tracks:
        track["hiding"] = track["platform"] in hidden
    return {"platform": platform, "choices": tracks, "now": time.time(),
            "declare": sections.get(platform) if platform else None}


async def api(request: web.Request) -> web.Response:
    params = v.query(request, {"host": v.text(253), "platform": v.text(64)})
    platform = params.get("platform")
    if "host" in params:
        platform = platform_of_host(_adapters(request.app), params["host"])
        if platform is None:
            return json_response({"platform": None, "choices": [], "now": time.time(), "declare": None})
    return json_response(await choices_data(request.app, platform))


async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    data = await choices_data(request.app)
    today = date.today()
    for track in data["choices"]:
        track["chart"] = chart.svg(track["reverts"], today, track["platform"])
    notice = request.query.get("notice")
    return "choices.html", {"rows": data["choices"], "declare_rows": await choices_declare.declared_rows(request.app),
                            "notice": notice if notice in NOTICES else None}


async def hide_form(request: web.Request, lang: str, form: dict) -> str:
    platform = str(form.get("platform", ""))
    on = form.get("on") != "0"
    known = {adapter.platform for adapter in _adapters(request.app)}
    if platform not in known:
        raise ApiError(400, "no such platform")
    await my_rules.edit(request.app, lambda text: my_rules.set_switch(
        text, [hide.rule(platform)], on))
    return f"/choices?lang={lang}&notice={'hiding' if on else 'not_hiding'}#{platform}"
