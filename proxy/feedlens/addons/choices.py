"""Observe the platforms' personalisation switch (feedlens.choice) and hand each observation
to the watchers the features registered (feedlens.hooks): the choice watchdog.

Read only: a request's flag and a response's read-back or marker are read, nothing is changed.
It runs before Classify, so a response is read as the platform sent it. Fail open: any
failure is counted and the flow passes untouched.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl

from mitmproxy import http

from .. import bodies
from ..choice import ChoiceBook
from .classify import client_of, processable, request_body
from .state import Shared

log = logging.getLogger("feedlens")
KEY = "feedlens.choice"
MAX_BYTES = 4 * 1024 * 1024  # a read-back or a feed page (decoded, at most the body cap)


class ObserveChoices:
    name = "feedlens_choices"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared
        self._book: tuple[object, ChoiceBook] | None = None  # (the adapter set it came from, book)

    def book(self) -> ChoiceBook:
        adapters = self.shared.runtime.profile_engine(None).engine.adapters
        if self._book is None or self._book[0] is not adapters:  # rules reloaded
            self._book = (adapters, ChoiceBook.of(adapters.adapters))
        return self._book[1]

    def watchers(self) -> list:
        return self.shared.choice_watchers()  # shared with the counterfactual check's add-on

    async def request(self, flow: http.HTTPFlow) -> None:
        if self.shared.runtime is None or flow.response is not None:
            return
        try:
            await self._request(flow)
        except Exception as exc:  # never into mitmproxy: the flow passes as it is
            self._failed(exc)

    async def _request(self, flow: http.HTTPFlow) -> None:
        request = flow.request
        path, _, query = request.path.partition("?")
        rules = self.book().route(request.method, request.pretty_host, path)
        if not rules:
            return
        body = None if request.stream else request_body(request)
        found, waiting = ChoiceBook.on_request(rules, {
            "method": request.method, "host": request.pretty_host, "path": path, "query": query,
            "body": parsed(body, request.headers.get("content-type")),
            "headers": {name.lower(): value for name, value in request.headers.items()}})
        if waiting:
            flow.metadata[KEY] = (waiting, {"method": request.method.upper(),
                                            "host": request.pretty_host, "path": path})
        await self._hand_over(found, flow)

    async def response(self, flow: http.HTTPFlow) -> None:
        waiting = flow.metadata.pop(KEY, None)
        if waiting is None or not processable(flow):
            return
        try:
            response = flow.response
            body = bodies.decode(response.raw_content, response.headers.get("content-encoding"), MAX_BYTES)
            await self._hand_over(ChoiceBook.on_response(waiting[0], json.loads(body or b"null"),
                                                         waiting[1]), flow)
        except Exception as exc:  # not JSON, over the cap, a store error: nothing observed
            self._failed(exc)

    async def _hand_over(self, observations: list, flow: http.HTTPFlow) -> None:
        device, now = client_of(flow) or "?", time.time()
        for observation in observations:
            for watcher in self.watchers():
                await watcher.observe(observation, device, now)

    def _failed(self, exc: Exception) -> None:
        self.shared.runtime.counters.error("choices", f"{type(exc).__name__}: {exc}")


def parsed(body: bytes | None, content_type: str | None):
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    if "x-www-form-urlencoded" in (content_type or ""):
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return json.loads(text)
    except ValueError:
        return None


def wanted(flow: http.HTTPFlow) -> bool:
    """Route keeps this response buffered (not streamed): a rule reads it."""
    return KEY in flow.metadata
