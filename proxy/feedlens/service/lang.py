"""The language of a request, and the picker that overrides the browser's choice.

Order: `?lang=` on the URL (links that name it), the `feedlens_lang` cookie the picker sets,
then Accept-Language. The picker is a plain GET link, `/lang?set=zh-CN&next=/reports`: the
pages run no script, and setting a display language changes nothing worth forging (it is not
a form action, so it needs no CSRF field). `next` must be a path on this service, so the link
cannot be turned into an open redirect.
"""

from __future__ import annotations

import re

from aiohttp import web

from ..language import pick_language
from .errors import ApiError

COOKIE = "feedlens_lang"
CHOICES = {"en": "en", "zh-CN": "zh"}  # cookie value (a language tag) -> UI language
TAGS = {lang: tag for tag, lang in CHOICES.items()}
MAX_AGE = 365 * 86400
# A local path: one leading slash (never "//host" or "/\host"), no scheme, no backslash.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%-]*")


def request_language(request: web.Request) -> str:
    """'en' or 'zh' for this request."""
    asked = request.query.get("lang")
    if asked in TAGS:
        return asked
    picked = CHOICES.get(request.cookies.get(COOKIE, ""))
    return picked or pick_language(request.headers.get("Accept-Language"))


def safe_next(value: str | None) -> str:
    return value if value and _LOCAL_PATH.fullmatch(value) else "/"


async def set_language(request: web.Request) -> web.Response:
    """GET /lang?set=zh-CN&next=/path: remember the choice, go back to the page."""
    choice = request.query.get("set", "")
    if choice not in CHOICES:
        raise ApiError(400, f"set must be one of {', '.join(CHOICES)}", code="bad_language",
                       params={"choices": ", ".join(CHOICES)})
    response = web.Response(status=303, headers={"Location": safe_next(request.query.get("next"))})
    response.set_cookie(COOKIE, choice, max_age=MAX_AGE, path="/", httponly=True,
                        samesite="Strict")
    return response


def picker_links(here: str) -> list[dict]:
    """The header's links: one per language, back to `here`."""
    return [{"tag": tag, "lang": lang, "href": f"/lang?set={tag}&next={safe_next(here)}"}
            for tag, lang in CHOICES.items()]
