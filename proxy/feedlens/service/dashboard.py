"""The dashboard at `/`: the setup checklist, health and today's composition, rendered on
the server.

How it stays safe without handing the token to a page: the page contains no token and no
script that calls the API; everything it shows is rendered here, read-only. To see it you
either send `Authorization: Bearer <token>` (curl) or open the URL `feedlens run` prints,
`/?code=<one-time code>` (service/login.py), once: that answers with a redirect to `/` (or
to `next=`, another page of the dashboard: the extension's revert notification opens /choices)
that sets an HttpOnly, SameSite=Strict cookie derived from the token (an HMAC, useless
against /api) and drops the code from the address bar. The API token itself is never
accepted in a URL (it would stay in the browser's history). Another site can neither read the
page (no CORS, Host check, frame-ancestors 'none') nor change anything through it (the
overview has no forms; other pages' forms: docs/security.md).
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from aiohttp import web

from .. import __version__, i18n
from ..model import provenance_rank
from . import login, render as r, security, setup_page, validate as v
from .config import CONFIG, TOKEN
from .lang import request_language
from .errors import json_response
from .research_context import format_chart, provenance_names
from .views import active_profile, start_of_day

COOKIE_MAX_AGE = 30 * 86400
COUNTER_KEYS = ("responses_seen", "feed_responses", "items_marked", "errors", "tls_failures")
CA_STATE = {True: "yes", False: "no", None: "unknown"}  # None: no client has tried TLS yet
NEXT_PATH = re.compile(r"/[a-z][a-z0-9/_-]*")  # where a login link may lead: a page of the dashboard


# ---- data ----------------------------------------------------------------------------------

async def collect(runtime, now: float) -> dict:
    """Everything the page shows, as data (also served at /api/dashboard)."""
    adapters = runtime.engine.adapters.adapters
    since = start_of_day(now)
    interception = runtime.health().get("interception") or {}
    return {
        "version": __version__, "generated": now, "uptime": now - runtime.started,
        "ca_trusted": interception.get("ca_trusted"),  # None: no client has tried TLS yet
        "counters": runtime.counters.snapshot(),
        "profile": {"name": active_profile(runtime), "title": runtime.engine.profile.title,
                    "title_localized": {lang: runtime.engine.profile.title_in(lang)
                                        for lang in i18n.LANGUAGES}},
        "adapters": [{"platform": a.platform, "version": a.version, "endpoints": len(a.endpoints),
                      "pack": a.pack[0]} for a in adapters],
        # a user pack replaced an adapter (layers.py); an expired pack, a failed update (packs.background)
        "pack_notices": runtime.layering.notices() + runtime.pack_updates.health()["warnings"],
        "problems": list(runtime.adapter_errors) + list(runtime.profile_errors)
        + ([runtime.store.last_error] if runtime.store.last_error else []),
        "store": runtime.store.status(),
        "today": await runtime.store.stats(since=since, until=now + 1),
        "coverage": runtime.gaps.snapshot(),  # feeds no adapter read: shown, never hidden
    }


# ---- views ---------------------------------------------------------------------------------

async def data(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await collect(request.app[CONFIG].runtime, time.time()))


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def page(request: web.Request) -> web.Response:
    # `token`: links of older versions; never accepted, answered with how to get a link
    params = v.query(request, {"code": v.text(256), "token": v.text(256),
                               "lang": v.choice(("en", "zh")), "next": v.text(128)})
    lang = request_language(request)
    token = request.app[TOKEN]
    cookie = security.dashboard_cookie_name(
        security.local_port(request, request.app[CONFIG].bind_port))
    if "token" in params:
        return r.locked(request, lang)
    if "code" in params:
        if not login.redeem(request.app, params["code"]):
            return r.locked(request, lang)
        return _enter(token, cookie, params.get("lang"), params.get("next"))
    if not security.has_credentials(request, token, cookie):
        return r.locked(request, lang)
    data = await collect(request.app[CONFIG].runtime, time.time())
    first_run = await setup_page.context(request, data["counters"], data["problems"])
    return r.html_response(request, "dashboard.html", lang, {**context(data, lang), **first_run})


def _enter(token: str, cookie: str, lang: str | None, after: str | None = None) -> web.Response:
    # only a plain path of this service: never another site (//host) nor a query to carry
    path = after if after and NEXT_PATH.fullmatch(after) else "/"
    response = web.Response(status=303, headers={"Location": f"{path}?lang={lang}" if lang else path})
    response.set_cookie(cookie, security.dashboard_cookie_value(token), max_age=COOKIE_MAX_AGE,
                        path="/", httponly=True, samesite="Strict")
    return response


# ---- the page's context ------------------------------------------------------------------

def context(data: dict, lang: str) -> dict:
    """What dashboard.html shows, from collect()'s data: spans and lists in words of `lang`."""
    t = i18n.translator(lang)
    last = data["counters"].get("last_feed") or {}
    profile = data["profile"]  # the page shows the title in its own language
    data = {**data, "profile": {**profile, "title": profile["title_localized"][lang]}}
    return {
        "data": data, "current": "/", "refresh": True, "counter_keys": COUNTER_KEYS,
        "adapters": ", ".join(f"{a['platform']} {a['version']}" for a in data["adapters"]),
        "ca_state": CA_STATE.get(data["ca_trusted"], "unknown"),
        "uptime": ago(data["uptime"], t, suffix=False),
        "last_feeds": [(p, ago(data["generated"] - when, t)) for p, when in sorted(last.items())],
        "platforms": composition(data["today"]),
        "formats": format_chart(data["today"]["by_provenance_format"], t, provenance_names(t),
                                "today-formats", t("dashboard.formats"), t("dashboard.formats_desc")),
        "decisions": ", ".join(f"{t.get('common.decision.' + k, k)} {n}"
                               for k, n in sorted(data["today"]["by_decision"].items())),
        "generated": f"{datetime.fromtimestamp(data['generated']):%H:%M:%S}",
    }


def composition(today: dict) -> list[dict]:
    """Per platform, the segments of its stacked bar in provenance order, each with its own
    CSS class for its width (the CSP allows no style attribute)."""
    platforms, index = [], 0
    for platform, counts in sorted(today["by_platform_provenance"].items()):
        total = sum(counts.values())
        segments = []
        for provenance in sorted(counts, key=provenance_rank):
            segments.append({"provenance": provenance, "n": counts[provenance], "css": f"w{index}",
                             "width": f"{100 * counts[provenance] / total:.2f}"})
            index += 1
        platforms.append({"name": platform, "total": total, "segments": segments})
    return platforms


SPANS = ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds"))


def ago(seconds: float, t: i18n.Translator, suffix: bool = True) -> str:
    """`5 min ago` / `5分钟前`; without suffix just the span, in the largest whole unit."""
    seconds = max(0, int(seconds))
    size, unit = next((size, unit) for size, unit in SPANS if seconds >= size or size == 1)
    span = t(f"common.time.{unit}", n=seconds // size)
    return t("common.time.ago", span=span) if suffix else span
