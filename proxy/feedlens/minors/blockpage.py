"""The pages the proxy answers a minor's device with: blocked, rest reminder, "asked".

Self-contained HTML (inline style, no scripts, no external resources, so it works on any site
and under any CSP), in zh-CN or English by Accept-Language, rendered from
templates/blockpage.html (Jinja2, autoescape on) with the words of the message catalogue
(feedlens.i18n, shared with the dashboard). The "ask for more time" form posts to ASK_PATH on
the same host; the add-on answers that path itself and never forwards it.
"""

from __future__ import annotations

from functools import cache

import jinja2
from mitmproxy import http

from .. import i18n

ASK_PATH = "/__feedlens/ask-time"
ASK_MINUTES = (15, 30, 60)
ASK_DEFAULT = 30
MESSAGES = ("post_only", "bad_request", "failed")  # message_body's keys

HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "x-feedlens": "minors",
}


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("blockpage.html")


def _page(lang: str, title_key: str, lines: list[str], ask: dict | None = None,
          link: dict | None = None, footer: str | None = None) -> bytes:
    t = i18n.translator(lang)
    return _template().render(t=t, title=t(title_key), lines=lines, ask=ask, link=link,
                              footer=footer or t("blockpage.footer")).encode("utf-8")


def page(lang: str, title_key: str, lines: list[str], *, footer: str | None = None) -> bytes:
    """A page of these lines, for the proxy's other refusals (addons/own_service.py)."""
    return _page(lang, title_key, lines, footer=footer)


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def blocked_body(lang: str, *, reason: str, until_text: str | None, curfew: tuple[int, int] | None,
                 budget: int | None) -> bytes:
    t = i18n.translator(lang)
    if reason == "curfew" and curfew:
        lines = [t("blockpage.curfew", start=_hhmm(curfew[0]), end=_hhmm(curfew[1]))]
    else:
        lines = [t("blockpage.budget", budget=budget if budget is not None else "?")]
    if until_text:
        lines.append(t("blockpage.until", until=until_text))
    ask = {"path": ASK_PATH, "minutes": ASK_MINUTES, "default": ASK_DEFAULT}
    return _page(lang, "blockpage.blocked_title", lines, ask=ask)


def broken_body(lang: str, profile: str) -> bytes:
    """A locked profile that cannot be loaded: the device runs on the strict fallback."""
    t = i18n.translator(lang)
    return _page(lang, "blockpage.broken_title", [t("blockpage.broken", profile=profile)])


def rest_body(lang: str, minutes: int, url: str) -> bytes:
    t = i18n.translator(lang)
    return _page(lang, "blockpage.rest_title", [t("blockpage.rest", minutes=minutes)],
                 link={"href": url, "text": t("blockpage.continue")})


def asked_body(lang: str, minutes: int) -> bytes:
    t = i18n.translator(lang)
    return _page(lang, "blockpage.asked_title", [t("blockpage.asked", minutes=minutes)],
                 link={"href": "/", "text": t("blockpage.back")})


def message_body(lang: str, key: str) -> bytes:
    """A one-line page for the ask path: `key` is one of MESSAGES."""
    return _page(lang, "blockpage.notice", [i18n.t(lang, f"blockpage.{key}")])


def response(body: bytes, status: int = 200) -> http.Response:
    return http.Response.make(status, body, HEADERS)
