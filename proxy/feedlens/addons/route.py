"""Route each flow once: is it a feed endpoint? Then decide what is buffered and what streams.

Routing is a host/path lookup (well under a microsecond) made at requestheaders; its answer and
the rules generation it came from travel on the flow (flowstate), so the later add-ons never
route again and a hot reload in between cannot split one flow across two generations.
"""

from __future__ import annotations

from mitmproxy import http

from .. import bodies
from . import choices, flowstate, viewer
from . import classify as _classify
from .flowstate import FlowState
from .state import Shared

# Non-feed bodies of unknown length or at least this size are streamed, never buffered; smaller
# ones pass buffered, which mitmproxy does faster (measured ~10% more small responses per second).
STREAM_MIN_BYTES = 256 * 1024
# Paths feedlens answers itself on any host (the block page's forms): never streamed upstream.
OWN_PATHS = "/__feedlens/"


class Route:
    name = "feedlens_route"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        runtime = self.shared.runtime
        if runtime is None or flow.request.stream or flowstate.answered(flow):
            return  # (a response already: refused before, addons/own_service.py)
        active = runtime.profile_engine(None)
        request = flow.request
        endpoints = active.engine.candidates(request.method, request.pretty_host,
                                             request.path.partition("?")[0])
        canary = None if endpoints else active.engine.adapters.canary.shape_for(
            request.pretty_host, request.path.partition("?")[0])
        if endpoints or canary is not None:
            flow.metadata[flowstate.KEY] = FlowState(endpoints, active.engine, active.spec,
                                                     canary=canary)
        elif (request.method not in ("GET", "HEAD") and large_or_unknown(request)
              and not request.path.startswith(OWN_PATHS)):
            request.stream = True  # an upload that is not ours: never buffer it

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        runtime = self.shared.runtime
        if runtime is None or flow.response is None or flow.response.stream:
            return
        if flowstate.answered(flow):
            return
        runtime.counters.responses_seen += 1
        peer = flow.client_conn.peername
        runtime.counters.client(peer[0] if peer else None)
        state = flowstate.of(flow)
        if state is not None and not may_hold_feed(flow.response, state.endpoints):
            flowstate.release(flow)  # a page, a download, an image on a feed URL: passes as is
            state = None
        if state is not None:
            stream = self._over_cap(flow.response)
            runtime.counters.over_cap += stream
            if large_or_unknown(flow.response, _classify.OFFLOAD_MIN_BYTES):  # start workers while it loads
                self.shared.offload.warm(runtime.engine_spec)
        elif viewer.wanted(flow) or choices.wanted(flow):  # small, read after it arrives (viewer, choice)
            stream = self._over_cap(flow.response)
        else:
            stream = large_or_unknown(flow.response)
        if stream:
            flow.response.stream = True
            runtime.counters.streamed += 1
            flowstate.release(flow)

    def error(self, flow: http.HTTPFlow) -> None:
        flowstate.release(flow)

    def _over_cap(self, response: http.Response) -> bool:
        length = response.headers.get("content-length", "")
        return length.isdigit() and int(length) > self.shared.config.body_cap


def may_hold_feed(response: http.Response, endpoints) -> bool:
    """JSON, or HTML where an endpoint reads the page (`body: html`)."""
    html = any(endpoint.body == "html" for endpoint in endpoints)
    return bodies.may_hold_feed(response.headers.get("content-type"), html)


def large_or_unknown(message: http.Message, size: int = STREAM_MIN_BYTES) -> bool:
    length = message.headers.get("content-length", "")
    return not length.isdigit() or int(length) >= size
