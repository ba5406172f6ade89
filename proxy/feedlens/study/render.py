"""The study server's HTML pages (the admin page, the participant's join page): Jinja2 templates
in study/templates with autoescape on, through aiohttp-jinja2, with their words from the
message catalogue (feedlens.i18n, `study.*` keys) in zh-CN or English.

Like the local dashboard (feedlens.service.render): one nonce'd <style>, no script, a CSP that
allows nothing else, no framing. The language: `?lang=` on the URL (the picker's links and the
forms' redirects carry it), else the browser's Accept-Language.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
import markupsafe
from aiohttp import web

from .. import i18n
from ..language import pick_language
from ..research.charts import css_class, palette_css

LANGS = {"en": "en", "zh": "zh-CN"}


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader(__package__, "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        default_helpers=False)
    env.filters.update(pct=lambda v: "—" if v is None else f"{100 * v:.1f} %",
                       num=lambda v, spec=".2f": "—" if v is None else format(v, spec))
    env.globals.update(chart_class=css_class, palette_css=markupsafe.Markup(palette_css()))


def language(request: web.Request, form: dict | None = None) -> str:
    asked = (form or {}).get("lang") or request.query.get("lang")
    return asked if asked in LANGS else pick_language(request.headers.get("Accept-Language"))


def _no_forms(action: str) -> str:
    raise RuntimeError(f"this page has no csrf values, yet a form posts to {action}")


def _switch(request: web.Request, lang: str) -> str:
    """This page in another language; a page answering a form links to the admin page."""
    if request.method != "GET":
        return f"/admin?lang={lang}"
    return f"{request.path}?{urlencode({**request.query, 'lang': lang})}"


def page(request: web.Request, template: str, lang: str, context: dict | None = None,
         status: int = 200, csrf=None, headers: dict | None = None) -> web.Response:
    nonce = secrets.token_urlsafe(16)
    languages = [{"lang": code, "tag": tag, "href": _switch(request, code)}
                 for code, tag in LANGS.items()]
    full = {"t": i18n.translator(lang), "lang": lang, "nonce": nonce, "languages": languages,
            "csrf": csrf or _no_forms, **(context or {})}
    body = aiohttp_jinja2.render_string(template, request, full)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy":
                                 f"default-src 'none'; style-src 'nonce-{nonce}'; "
                                 "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                                 "X-Frame-Options": "DENY", "Cache-Control": "no-store",
                                 "Referrer-Policy": "same-origin",
                                 "X-Content-Type-Options": "nosniff", **(headers or {})})
