"""The state the feedlens add-ons share: parsed options, the running Runtime, the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..features import install
from ..offload import Offload
from ..runtime import Runtime
from ..settings import Config


@dataclass
class Shared:
    config: Config | None = None
    runtime: Runtime | None = None
    service: object = None  # the companion service's aiohttp AppRunner while it runs
    # Worker processes plug the features in first, as this process did.
    offload: Offload = field(default_factory=lambda: Offload(setup=install))
    logged: set[str] = field(default_factory=set)  # adapters whose failure was logged once
