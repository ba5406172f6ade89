"""The dashboard at `/`: health and today's composition, rendered on the server.

How it stays safe without handing the token to a page: the page contains no token and no
script that calls the API; everything it shows is rendered here, read-only. To see it you
either send `Authorization: Bearer <token>` (curl) or open the URL `feedlens run` prints,
`/?token=<token>`, once: that answers with a redirect to `/` that sets an HttpOnly,
SameSite=Strict cookie derived from the token (an HMAC, useless against /api) and drops the
token from the address bar. Another site can neither read the page (no CORS, Host check,
frame-ancestors 'none') nor change anything through it (it has no actions).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from html import escape
from importlib import resources
from string import Template

from aiohttp import web

from .. import __version__
from ..language import pick_language
from . import security, validate as v
from .config import CONFIG, TOKEN
from .dashboard_text import COUNTER_KEYS, TEXT, ago, nav, provenance_rank
from .errors import json_response
from .views import active_profile, start_of_day

COOKIE_MAX_AGE = 30 * 86400
_TEMPLATE = Template(resources.files(__package__).joinpath("templates", "dashboard.html")
                     .read_text(encoding="utf-8"))


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
        "profile": {"name": active_profile(runtime), "title": runtime.engine.profile.title},
        "adapters": [{"platform": a.platform, "version": a.version, "endpoints": len(a.endpoints)}
                     for a in adapters],
        "problems": list(runtime.adapter_errors) + list(runtime.profile_errors)
        + ([runtime.store.last_error] if runtime.store.last_error else []),
        "store": runtime.store.status(),
        "today": await runtime.store.stats(since=since, until=now + 1),
    }


# ---- views ---------------------------------------------------------------------------------

async def data(request: web.Request) -> web.Response:
    v.query(request, {})
    return json_response(await collect(request.app[CONFIG].runtime, time.time()))


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def page(request: web.Request) -> web.Response:
    params = v.query(request, {"token": v.text(256), "lang": v.choice(("en", "zh"))})
    lang = params.get("lang") or pick_language(request.headers.get("Accept-Language"))
    token = request.app[TOKEN]
    cookie = security.dashboard_cookie_name(
        security.local_port(request, request.app[CONFIG].bind_port))
    if "token" in params:
        if not security.secret_matches(params["token"], token):
            return _html(_locked(lang), status=401)
        return _enter(token, cookie, params.get("lang"))
    if not _authorized(request, token, cookie):
        return _html(_locked(lang), status=401)
    return _html(render(await collect(request.app[CONFIG].runtime, time.time()), lang))


def _authorized(request: web.Request, token: str, cookie: str) -> bool:
    if security.bearer_matches(request.headers.get("Authorization"), token):
        return True
    given = request.cookies.get(cookie)
    return given is not None and security.secret_matches(given, security.dashboard_cookie_value(token))


def _enter(token: str, cookie: str, lang: str | None) -> web.Response:
    response = web.Response(status=303, headers={"Location": f"/?lang={lang}" if lang else "/"})
    response.set_cookie(cookie, security.dashboard_cookie_value(token), max_age=COOKIE_MAX_AGE,
                        path="/", httponly=True, samesite="Strict")
    return response


def _html(page_and_nonce: tuple[str, str], status: int = 200) -> web.Response:
    body, nonce = page_and_nonce
    csp = (f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'; "
           "base-uri 'none'; form-action 'self'")
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": csp, "X-Frame-Options": "DENY"})


# ---- rendering -----------------------------------------------------------------------------

def _page(lang: str, body: str, extra_css: str = "", refresh: bool = False) -> tuple[str, str]:
    nonce = secrets.token_urlsafe(16)
    head = '<meta http-equiv="refresh" content="30">' if refresh else ""
    html = _TEMPLATE.substitute(lang="zh-CN" if lang == "zh" else "en", nonce=nonce, head=head,
                                title=escape(TEXT[lang]["title"]), extra_css=extra_css, body=body)
    return html, nonce


def _locked(lang: str) -> tuple[str, str]:
    t = TEXT[lang]
    return _page(lang, f"<h1>{escape(t['title'])}</h1><p>{escape(t['locked'])}</p>")


def render(data: dict, lang: str) -> tuple[str, str]:
    t = TEXT[lang]
    bars_css, composition = _composition(data["today"], t)
    body = "".join([
        nav(lang, "/"),
        f"<h1>{escape(t['title'])} <small>{escape(data['version'])}</small></h1>",
        _health(data, t), _problems(data["problems"], t), composition,
        f"<footer>{escape(t['generated'])} {datetime.fromtimestamp(data['generated']):%H:%M:%S}"
        "</footer>",
    ])
    return _page(lang, body, extra_css=bars_css, refresh=True)


def _row(label: str, value) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"


def _health(data: dict, t: dict) -> str:
    counters = data["counters"]
    rows = [_row(t["counter"].get(k, k), counters[k]) for k in COUNTER_KEYS if k in counters]
    rows += [_row(t["profile"], f"{data['profile']['name']} — {data['profile']['title']}"),
             _row(t["adapters"], ", ".join(f"{a['platform']} {a['version']}"
                                           for a in data["adapters"]) or "—"),
             _row(t["ca"], t["ca_state"].get(data["ca_trusted"], "—")),
             _row(t["uptime"], ago(data["uptime"], t, suffix=False)),
             _row(t["logged"], data["store"]["written"]["items"])]
    last = counters.get("last_feed") or {}
    rows += [_row(f"{t['last_feed']} {p}", ago(data["generated"] - when, t))
             for p, when in sorted(last.items())]
    return f"<section><h2>{escape(t['health'])}</h2><table>{''.join(rows)}</table></section>"


def _problems(problems: list[str], t: dict) -> str:
    if problems:
        items = "".join(f"<li><code>{escape(p)}</code></li>" for p in problems)
        content = f"<ul class=bad>{items}</ul>"
    else:
        content = f"<p class=ok>{escape(t['no_problems'])}</p>"
    return f"<section><h2>{escape(t['problems'])}</h2>{content}</section>"


def _composition(today: dict, t: dict) -> tuple[str, str]:
    """Per platform, a stacked bar by provenance. Widths live in the nonce'd <style> (CSP)."""
    title = f"<h2>{escape(t['today'])} — {today['items']} {escape(t['items'])}</h2>"
    if not today["items"]:
        return "", f"<section>{title}<p>{escape(t['nothing_today'])}</p></section>"
    css, rows = [], []
    for platform, counts in sorted(today["by_platform_provenance"].items()):
        total = sum(counts.values())
        segments = []
        for provenance in sorted(counts, key=provenance_rank):
            cls = f"w{len(css)}"
            css.append(f".{cls}{{width:{100 * counts[provenance] / total:.2f}%}}")
            label = f"{t['provenance'].get(provenance, provenance)} {counts[provenance]}"
            segments.append(f'<span class="seg p-{escape(provenance)} {cls}" title="{escape(label)}">'
                            f"{escape(label)}</span>")
        rows.append(f"<tr><th>{escape(platform)}</th><td>{total}</td>"
                    f"<td><div class=bar>{''.join(segments)}</div></td></tr>")
    decisions = ", ".join(f"{t['decision'].get(k, k)} {n}" for k, n in sorted(today["by_decision"].items()))
    return "\n".join(css), (f"<section>{title}<table class=comp>{''.join(rows)}</table>"
                            f"<p>{escape(t['decisions'])}{escape(decisions)}</p></section>")
