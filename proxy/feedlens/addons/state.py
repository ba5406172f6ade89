"""The state the feedlens add-ons share: parsed options, the running Runtime, the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import hooks
from ..continuations import ContinuationMemory
from ..features import install
from ..offload import Offload
from ..runtime import Runtime
from ..settings import Config
from ..viewer import ViewerMemory


@dataclass
class Shared:
    config: Config | None = None
    runtime: Runtime | None = None
    service: object = None  # the companion service's aiohttp AppRunner while it runs
    # Worker processes plug the features in first, as this process did.
    offload: Offload = field(default_factory=lambda: Offload(setup=install))
    logged: set[str] = field(default_factory=set)  # adapters whose failure was logged once
    # Continuation token → the endpoint that issued it, per client (feedlens.continuations);
    # it outlives a rules reload: a renamed endpoint is simply not found.
    continuations: ContinuationMemory = field(default_factory=ContinuationMemory)
    # The viewer's id per client and platform, learned from responses (addons/viewer.py).
    viewers: ViewerMemory = field(default_factory=ViewerMemory)
    # (the store they write to, the choice watchers of feedlens.hooks): one set for every add-on
    # that hands them observations, so they share one in-memory track per platform and device
    _watchers: tuple | None = field(default=None, repr=False)

    def choice_watchers(self) -> list:
        store = self.runtime.store
        if self._watchers is None or self._watchers[0] is not store:
            self._watchers = (store, [factory(store) for factory in hooks.choice_watchers().values()])
        return self._watchers[1]
