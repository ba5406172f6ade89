"""Every HTML page of the service, rendered from a Jinja2 template (autoescape on) through
aiohttp-jinja2, with its words from the message catalogue (feedlens.i18n).

Templates live in `service/templates/`. Each page gets in its context `t` (the translator:
`t(key, **params)`, `t.get(key, fallback)`), `lang` ("en" or "zh"), `nonce` (for its one
<style>; the CSP allows nothing else: no script, no inline style attribute) and `csrf(action)`
(the value of a form's csrf field). Values a user or a platform controls are only ever put
into the page by the template, so autoescape covers them.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import aiohttp_jinja2
import jinja2
import markupsafe
from aiohttp import web

from .. import i18n, vocabulary
from ..research.charts import css_class, palette_css
from .lang import picker_links


def setup(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader(__package__, "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, in the tests
        trim_blocks=True, lstrip_blocks=True, default_helpers=False)
    env.filters.update(minute_time=minute_time, second_time=second_time, pct=pct)
    # the classes' colours, from the one vocabulary: overview bars (.p-*) and charts (.c-*)
    env.globals.update(chart_class=css_class, palette_css=markupsafe.Markup(
        vocabulary.css("p-", "background") + "\n" + palette_css()))


def minute_time(ts: float | None, missing: str = "—") -> str:
    return missing if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def second_time(ts: float | None, missing: str = "—") -> str:
    return missing if ts is None else f"{datetime.fromtimestamp(ts):%Y-%m-%d %H:%M:%S}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def content_security_policy(nonce: str) -> str:
    return (f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


def html_response(request: web.Request, template: str, lang: str, context: dict | None = None,
                  status: int = 200, csrf=None) -> web.Response:
    """The page `template` in `lang`, with the strict CSP bound to a fresh nonce."""
    nonce = secrets.token_urlsafe(16)
    full = {"t": i18n.translator(lang), "lang": lang, "nonce": nonce, "current": None,
            "languages": picker_links(request.path),
            "refresh": False, "csrf": csrf or _no_forms, **(context or {})}
    body = aiohttp_jinja2.render_string(template, request, full)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": content_security_policy(nonce),
                                 "X-Frame-Options": "DENY"})


def _no_forms(action: str) -> str:
    raise RuntimeError(f"this page has no csrf values, yet a form posts to {action}")


def locked(request: web.Request, lang: str, status: int = 401) -> web.Response:
    """The page without credentials: how to get in, nothing else."""
    return html_response(request, "locked.html", lang, status=status)
