"""Start the Runtime and the companion service once mitmproxy runs; stop them when it is done."""

from __future__ import annotations

import asyncio
import logging

from mitmproxy import ctx

from ..addresses import parse_household
from ..runtime import Runtime
from ..service import ServiceConfig, serve
from .state import Shared

log = logging.getLogger("feedlens")


class Lifecycle:
    name = "feedlens_lifecycle"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared

    def running(self):
        # Returned, not awaited: mitmproxy awaits it at startup, and script reloads (which
        # call this hook synchronously) still work.
        shared = self.shared
        if shared.runtime is None and shared.config is not None:
            shared.runtime = Runtime(shared.config)
            return asyncio.ensure_future(self._start())
        return None

    def done(self):
        if self.shared.runtime is not None:
            return asyncio.ensure_future(self._stop())
        return None

    async def _start(self) -> None:
        shared = self.shared
        await shared.runtime.start()  # engine workers start with the first large body
        try:
            shared.service = await serve(ServiceConfig(runtime=shared.runtime,
                                                       proxy=proxy_address(),
                                                       household=household_address()))
        except OSError as exc:
            log.error("feedlens: the companion service cannot listen on %s: %s",
                      shared.config.service_url, exc.strerror or exc)
            return
        log.info("feedlens: profile %r, %d adapters, service at %s", shared.runtime.profile_name,
                 len(shared.runtime.engine.adapters.adapters), shared.config.service_url)

    async def _stop(self) -> None:
        """Whatever fails on the way, the runtime closes, which writes every queued record."""
        shared = self.shared
        runner, shared.service = shared.service, None
        try:
            if runner is not None:
                await runner.cleanup()
        finally:
            try:
                shared.offload.close()
            finally:
                await shared.runtime.close()


def household_address() -> tuple[str, int] | None:
    """The LAN dashboard's (host, port) from `feedlens_household`, None when off."""
    try:
        value = ctx.options.feedlens_household
    except (AttributeError, KeyError):
        return None
    return parse_household(value) if value else None


def proxy_address() -> tuple[str, int] | None:
    """mitmproxy's listen address, for the dashboard's setup steps (None outside mitmproxy)."""
    try:
        return ctx.options.listen_host or "", ctx.options.listen_port or 8080
    except (AttributeError, KeyError):
        return None
