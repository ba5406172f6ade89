"""Learn who the viewer is from the responses that describe them (Mastodon's
verify_credentials, Reddit's /api/v1/me: an adapter's `session.viewer.responses`), so that the
viewer's own posts are `own` on platforms whose cookies do not name the user.

Only the id is kept, per client and platform, in memory (feedlens.viewer.ViewerMemory).
"""

from __future__ import annotations

import json

from mitmproxy import http

from .. import bodies
from ..viewer import ViewerSource
from .classify import client_of, processable
from .state import Shared

KEY = "feedlens.viewer"
MAX_BYTES = 256 * 1024  # a description of one account; anything larger is not one
# (as sent; decoded, it may be 4 times as large: a bigger one is a bomb, decoded no further)


class LearnViewer:
    name = "feedlens_viewer"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        runtime = self.shared.runtime
        if runtime is None or flow.request.method != "GET":
            return
        source = runtime.profile_engine(None).engine.adapters.viewer_source(
            flow.request.pretty_host, flow.request.path.partition("?")[0])
        if source is not None:
            flow.metadata[KEY] = source

    def response(self, flow: http.HTTPFlow) -> None:
        source: ViewerSource | None = flow.metadata.pop(KEY, None)
        if source is None or not processable(flow) or len(flow.response.raw_content) > MAX_BYTES:
            return
        response = flow.response
        try:
            body = bodies.decode(response.raw_content, response.headers.get("content-encoding"),
                                 MAX_BYTES * 4)
            viewer = source.read(json.loads(body or b"null"))
        except ValueError:  # not JSON, an encoding we cannot undo, over the cap: learn nothing
            return
        if viewer is not None:
            self.shared.viewers.learn(client_of(flow), source.platform, viewer)


def wanted(flow: http.HTTPFlow) -> bool:
    """Route keeps this response buffered (not streamed): it is small and read here."""
    return KEY in flow.metadata
