"""One response through one engine: the path the proxy's add-on, its worker processes and the
library's Classifier (feedlens.api, which is a ResponseClassifier) all take.

`process_request` takes the decoded body; `process_sent` takes the body as it came over the
wire (Content-Encoding applied), decodes it within the engine's cap, and gives back the new
body encoded the same way, or None when the original bytes should pass on untouched (a
mark-only profile, nothing to change, an error inside: fail open).
"""

from __future__ import annotations

from . import bodies
from .engine import Engine, Request
from .model import Outcome
from .profiles import Profile


class ResponseClassifier:
    """An engine (its adapters and profile) and the two ways a response goes through it."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @property
    def profile(self) -> Profile:
        return self.engine.profile

    def process_request(self, request: Request, body: bytes, content_type: str | None = None, *,
                        candidates=None, profile: Profile | None = None) -> Outcome:
        """The decoded body of the response to `request`. Never raises: an error inside is
        the outcome's `error` and its `body` is None (send the original). `profile` replaces
        the engine's own for this response only (a device's gate); `candidates` are the
        endpoints a router already chose for the request."""
        return self.engine.process(request, body, content_type, candidates=candidates, profile=profile)

    def process_sent(self, request: Request, raw: bytes, content_encoding: str | None,
                     content_type: str | None, *, profile: Profile | None = None, candidates=None,
                     decoded: bytes | None = None) -> tuple[Outcome, bytes | None]:
        """(the outcome without its body, the new body encoded as `raw` was, or None to pass
        `raw` on). `decoded`: the body already decoded by the caller. Raises bodies.OverCap
        for a body that decodes past the engine's cap (it passes unchanged) and ValueError for
        one that does not decode as its Content-Encoding says."""
        if decoded is None:
            decoded = bodies.decode(raw, content_encoding, self.engine.body_cap)
        outcome = self.process_request(request, decoded, content_type, candidates=candidates, profile=profile)
        new_raw = None
        if outcome.changed and not outcome.error:
            new_raw = bodies.encode(outcome.body, content_encoding)
        outcome.body = None  # the caller needs the encoded form only; do not ship it twice
        return outcome, new_raw
