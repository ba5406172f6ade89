"""What the service needs from the rest of feedlens, and the typed keys of its app state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

MAX_BODY = 1024 * 1024  # request bodies are profiles and small commands; nothing bigger


class RuntimeLike(Protocol):
    """The parts of proxy.runtime.Runtime the service reads (see the runtime contract)."""

    config: Any  # .data_dir, .rules_dir, .service_host, .service_port
    engine: Any  # .adapters (AdapterSet), .profile (Profile)
    store: Any  # proxy.store.Store
    counters: Any  # .snapshot() -> dict
    adapter_errors: list[str]
    profile_errors: list[str]
    started: float

    def reload(self) -> bool: ...
    def set_profile(self, name: str) -> None: ...
    def health(self) -> dict: ...
    async def start(self) -> None: ...
    async def close(self) -> None: ...


@dataclass
class ServiceConfig:
    runtime: RuntimeLike
    host: str | None = None  # default: runtime.config.service_host
    port: int | None = None  # default: runtime.config.service_port
    # Start and close the runtime with the app (standalone use); the add-on owns it otherwise.
    manage_runtime: bool = False
    max_body: int = MAX_BODY
    # Where the proxy listens, (host, port), for the setup checklist; None when not known.
    proxy: tuple[str, int] | None = None
    # Household mode: the LAN dashboard's (host, port) over HTTPS (household.py); None: off.
    household: tuple[str, int] | None = None

    @property
    def bind_host(self) -> str:
        return self.host or self.runtime.config.service_host

    @property
    def bind_port(self) -> int:
        return self.port if self.port is not None else self.runtime.config.service_port

    @property
    def data_dir(self) -> Path:
        return Path(self.runtime.config.data_dir)

    @property
    def rules_dir(self) -> Path:
        return Path(self.runtime.config.rules_dir)


CONFIG = web.AppKey("feedlens_config", ServiceConfig)
TOKEN = web.AppKey("feedlens_token", str)
# The LAN front's app (household.py): the loopback service app it serves for.
SERVICE = web.AppKey("feedlens_household_service", web.Application)
