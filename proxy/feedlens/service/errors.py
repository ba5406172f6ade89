"""JSON responses and the one error type views raise.

An error has a stable `code` (`bad_pairing_code`, `unknown_field`, …) that clients may branch
on, and a message in the request's language from the catalogue's `errors.<code>` entry (the
en entries are the English texts the API always had). An error without a catalogue entry of
its own gets its status's general code (`bad_request`, `not_found`, …); in English it keeps its
specific text, in another language it gets the status's message with the English text as
`detail`, so no sentence mixes two languages.
"""

from __future__ import annotations

import json
from functools import partial

from aiohttp import web

from .. import i18n

# default=str: health may carry Paths and datetimes from the runtime.
dumps = partial(json.dumps, ensure_ascii=False, default=str)

STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large",
                415: "unsupported_media_type", 429: "too_many_requests", 500: "internal",
                503: "unavailable"}


def status_code(status: int) -> str:
    return STATUS_CODES.get(status, "bad_request" if status < 500 else "internal")


class ApiError(Exception):
    """A refusal with a status and a message (plus `messages`, e.g. `file:line` errors).

    `message` is the English text; `code` names the catalogue entry `errors.<code>` and
    `params` fill its placeholders (without a code: the status's general code)."""

    def __init__(self, status: int, message: str, messages: list[str] | None = None,
                 headers: dict[str, str] | None = None, code: str | None = None,
                 params: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.messages = messages
        self.headers = headers or {}
        self.code = code or status_code(status)
        self.params = params or {}


def json_response(data, status: int = 200, headers=None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def localize(error: ApiError, lang: str) -> dict:
    """{"error", "code"} (+ "detail") of the error in `lang` ("en" or "zh")."""
    key = f"errors.{error.code}"
    t = i18n.translator(lang)
    specific = error.code not in STATUS_CODES.values()
    if specific and t.has(key):
        return {"error": t(key, **error.params), "code": error.code}
    if lang == "en" or not t.has(key):
        return {"error": error.message, "code": error.code}
    return {"error": t(key), "code": error.code, "detail": error.message}


def json_error(status: int, message: str, messages: list[str] | None = None,
               headers=None, *, code: str | None = None, params: dict | None = None,
               lang: str = "en") -> web.Response:
    return error_response(ApiError(status, message, messages, headers, code, params), lang)


def error_response(error: ApiError, lang: str = "en") -> web.Response:
    body = localize(error, lang)
    body["messages"] = list(error.messages or [])
    return json_response(body, status=error.status, headers=error.headers)
