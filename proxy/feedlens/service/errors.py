"""JSON responses and the one error type views raise."""

from __future__ import annotations

import json
from functools import partial

from aiohttp import web

# default=str: health may carry Paths and datetimes from the runtime.
dumps = partial(json.dumps, ensure_ascii=False, default=str)


class ApiError(Exception):
    """A refusal with a status and a message (plus `messages`, e.g. `file:line` errors)."""

    def __init__(self, status: int, message: str, messages: list[str] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.messages = messages
        self.headers = headers or {}


def json_response(data, status: int = 200, headers=None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=dumps)


def json_error(status: int, message: str, messages: list[str] | None = None,
               headers=None) -> web.Response:
    body: dict = {"error": message}
    if messages:
        body["messages"] = messages
    return json_response(body, status=status, headers=headers)
