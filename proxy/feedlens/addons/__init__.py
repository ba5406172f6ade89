"""feedlens's mitmproxy add-ons: one small class per concern, composed in one ordered chain.

    mitmdump -s "$(feedlens addon-path)" --set feedlens_profile=no-ads

mitmproxy calls each hook on every add-on of `FeedLens.addons`, in this order, and awaits each
before the next, so a flow makes one pass: Route decides once what the flow is, the minors'
add-ons pick the device's profile and gate, Classify runs the engine, PairedFetch may schedule
the opt-in counterfactual check (never awaited), DeviceUsage and ItemLog account for what was
shown. They hand over through the flow (flowstate), never through each
other. Nothing raises into mitmproxy: failures pass the original response on and are counted.
"""

from __future__ import annotations

from ..features import install
from .choices import ObserveChoices
from .classify import Classify
from .connections import Resolve, TlsHealth
from .counterfactual import PairedFetch
from .itemlog import ItemLog
from .lifecycle import Lifecycle
from .minors_gate import DeviceProfile, DeviceUsage, MinorsPages
from .options import Options
from .own_service import OwnService
from .route import Route
from .state import Shared
from .viewer import LearnViewer


class FeedLens:
    """The chain as one add-on (mitmproxy walks `addons`), with the state it shares."""

    name = "feedlens"

    def __init__(self) -> None:
        install()  # before the options name a profile, which may have `limits:`
        self.shared = Shared()
        self.addons = [cls(self.shared) for cls in (
            Options, Lifecycle, OwnService, Resolve, TlsHealth,
            LearnViewer, ObserveChoices, Route, MinorsPages, DeviceProfile, Classify, PairedFetch,
            DeviceUsage, ItemLog)]

    @property
    def config(self):
        return self.shared.config

    @property
    def runtime(self):
        return self.shared.runtime

    @property
    def service(self):
        return self.shared.service

    @property
    def offload(self):
        return self.shared.offload
