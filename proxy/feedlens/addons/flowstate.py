"""What the add-ons of one flow hand each other: decided once, read by the next add-on.

It lives in `flow.metadata` under KEY while the flow is ours and is removed when the response
is done (flows are saved with their metadata, and this holds engines). The summary that stays
on the flow for mitmweb and tests is `flow.metadata["feedlens"]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mitmproxy import http

from ..adapters import Endpoint
from ..classifier import ResponseClassifier
from ..engine import Engine
from ..model import Outcome
from ..offload import EngineSpec
from ..profiles import Profile

KEY = "feedlens.flow"
SUMMARY = "feedlens"
ANSWERED = "feedlens_answered"  # a response we made ourselves: the response add-ons skip it


@dataclass
class FlowState:
    endpoints: list[Endpoint]  # the router's answer, computed once at requestheaders (may be
    # empty when only the canary watches the flow: a platform host, no endpoint)
    engine: Engine  # the rules generation the flow was routed with
    spec: EngineSpec
    device: str | None = None
    profile_name: str | None = None
    gated: Profile | None = None  # this response's profile when a feature's gate applies
    gate: object = None  # the feature's decision, for its own accounting after the response
    outcome: Outcome | None = None
    canary: object = None  # the platform's FeedShape when no endpoint claims the flow
    started: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def classifier(self) -> ResponseClassifier:
        """The library's response path over this flow's engine (what Classify calls)."""
        return ResponseClassifier(self.engine)


def of(flow: http.HTTPFlow) -> FlowState | None:
    return flow.metadata.get(KEY)


def release(flow: http.HTTPFlow) -> None:
    flow.metadata.pop(KEY, None)


def answered(flow: http.HTTPFlow) -> bool:
    return bool(flow.metadata.get(ANSWERED))


def answer(flow: http.HTTPFlow, response: http.Response) -> None:
    flow.response = response
    flow.metadata[ANSWERED] = True
