"""Classify and rewrite a feed response: the engine marks, decides and rewrites the body.

Bodies known to be small once decoded run inline; any other (OFFLOAD_MIN_BYTES and more as
sent, or inflating past INLINE_DECODED_MAX) goes to a worker process so the event loop keeps
serving other connections: 64 KiB of brotli may inflate to gigabytes. Workers start with the
first such body (that one, and any until a worker is ready, runs inline). Every decoder stops at
the body cap (feedlens.bodies); a body over it passes on unchanged and is counted `over_cap`.
Any failure passes the original body on (fail open); the outcome says why, and the item log
counts it.
"""

from __future__ import annotations

import time

from mitmproxy import http

from .. import bodies
from ..engine import Request
from ..model import Outcome
from ..session import from_headers
from . import flowstate
from .state import Shared

# Bodies at least this large (as sent) are processed in a worker process; smaller ones take
# less time than the hand-off.
OFFLOAD_MIN_BYTES = 64 * 1024
# A smaller compressed body is decoded inline up to this size; past it, it goes to a worker.
INLINE_DECODED_MAX = 512 * 1024
# A routed request's body is read (GraphQL operation names, request conditions) up to this.
REQUEST_BODY_CAP = 1024 * 1024


class Classify:
    name = "feedlens_classify"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared

    async def response(self, flow: http.HTTPFlow) -> None:
        state = flowstate.of(flow)
        if state is not None and flow.response is not None and flow.response.stream:
            self._streamed_past_cap()  # mitmproxy streamed it once it passed the cap
            return
        if state is None or not processable(flow):
            return
        state.started = time.perf_counter()
        try:
            outcome, new_raw = await self._transform(state, flow)
        except bodies.OverCap as exc:  # fail open, by design: not an error of the adapter
            outcome, new_raw = over_cap(state, exc), None
            self.shared.runtime.counters.over_cap += 1
        except Exception as exc:  # undecodable body, a dead worker, a bug of ours: fail open
            outcome, new_raw = failed(state, exc), None
        if new_raw is not None:
            set_raw(flow.response, new_raw)
        state.outcome = outcome

    async def _transform(self, state, flow: http.HTTPFlow):
        response, offload = flow.response, self.shared.offload
        request, client = engine_request(flow, state, self.shared.viewers), client_of(flow)
        state.engine.recall(self.shared.continuations, client, request, state.endpoints)
        args = (request, response.raw_content, response.headers.get("content-encoding"),
                response.headers.get("content-type"))
        decoded = small(response.raw_content, args[2], state.engine.body_cap)
        if decoded is None and offload.available and offload.ready(state.spec):
            outcome, raw = await offload.transform(state.spec, *args)
        else:
            if decoded is None and offload.available:  # the first large body: inline, once
                offload.warm(state.spec)  # while the workers start (route.py warms earlier)
            outcome, raw = state.classifier.process_sent(*args, profile=state.gated,
                                                         candidates=state.endpoints, decoded=decoded)
        del decoded  # the original passes on when nothing changed: no decoded copy lingers
        state.engine.remember(self.shared.continuations, client, outcome)
        return outcome, raw

    def _streamed_past_cap(self) -> None:
        counters = self.shared.runtime.counters
        counters.over_cap += 1
        counters.streamed += 1


def small(raw: bytes, content_encoding: str | None, cap: int) -> bytes | None:
    """The decoded body when it is known to be small (cheap to decode and process inline),
    else None. Raises ValueError for a body that does not decode, OverCap past the cap."""
    if len(raw) >= OFFLOAD_MIN_BYTES:
        return None
    try:
        return bodies.decode(raw, content_encoding, min(cap, INLINE_DECODED_MAX))
    except bodies.OverCap:
        if cap <= INLINE_DECODED_MAX:
            raise
        return None


def over_cap(state, exc: bodies.OverCap) -> Outcome:
    if not state.endpoints:
        return Outcome(reason=f"not checked for an unclaimed feed: {exc}")
    first = state.endpoints[0]
    return Outcome(endpoint=first.name, platform=first.platform, surface=first.surface,
                   reason=f"passed unprocessed: {exc}")


def failed(state, exc: Exception) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"
    if not state.endpoints:  # only the canary watched it: nothing to report against an adapter
        return Outcome(reason=f"not checked for an unclaimed feed: {error}")
    first = state.endpoints[0]
    return Outcome(endpoint=first.name, platform=first.platform, surface=first.surface,
                   reason="not processed", error=error)


def processable(flow: http.HTTPFlow) -> bool:
    """A live, complete, successful response with a body, not one we answered ourselves."""
    response = flow.response
    if not flow.live or flow.error or response is None or response.stream:
        return False
    return 200 <= response.status_code < 300 and bool(response.raw_content) and not flowstate.answered(flow)


def engine_request(flow: http.HTTPFlow, state=None, viewers=None) -> Request:
    """The request as the engine sees it. Of the headers only names-level facts go in (cookie
    names, the Authorization scheme), plus the viewer's own id where the adapter says where the
    platform names it (a cookie, a token's subject, or an earlier response about the viewer,
    remembered in `viewers`): no cookie or token value reaches the engine, a worker or the log."""
    headers = flow.request.headers
    pairs = [(name, value) for name in ("cookie", "authorization") for value in headers.get_all(name)]
    request = Request(method=flow.request.method, url=flow.request.pretty_url,
                      body=request_body(flow.request),
                      content_type=headers.get("content-type"), session=from_headers(pairs))
    if state is not None and state.endpoints:
        request.viewer = state.engine.viewer(request, pairs, state.endpoints)
        if request.viewer is None and viewers is not None:
            request.viewer = viewers.get(client_of(flow), state.endpoints[0].platform)
    return request


def request_body(request: http.Request) -> bytes | None:
    """The request's decoded body up to REQUEST_BODY_CAP; None past it, when it was streamed
    (mitmproxy streams it past the body cap) or when it does not decode."""
    if not request.raw_content:
        return None
    try:
        return bodies.decode(request.raw_content, request.headers.get("content-encoding"),
                             REQUEST_BODY_CAP) or None
    except ValueError:
        return None


def client_of(flow: http.HTTPFlow) -> str | None:
    peer = flow.client_conn.peername
    return peer[0] if peer else None


def set_raw(response: http.Response, raw: bytes) -> None:
    """Like Response.set_content, with a body already encoded (feedlens.offload.encode)."""
    response.raw_content = raw
    if "transfer-encoding" not in response.headers:
        response.headers["content-length"] = str(len(raw))
