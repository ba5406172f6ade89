"""The companion service: a small aiohttp app on loopback for the extension and the dashboard.

    runner = await serve(ServiceConfig(runtime))   # in the proxy's own event loop
    ...
    await runner.cleanup()
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from .. import features
from . import household, login, origins
from .config import CONFIG, TOKEN, ServiceConfig
from .middlewares import errors_to_json, origin_guard, require_token
from .routes import setup_routes
from .security import dashboard_url, is_loopback, load_or_create_token

__all__ = ["ServiceConfig", "init_app", "serve", "dashboard_url", "load_or_create_token",
           "dashboard_link"]


def init_app(config: ServiceConfig) -> web.Application:
    features.install()  # PUT /api/profiles validates `limits:` like the profile files
    app = web.Application(middlewares=[origin_guard, errors_to_json, require_token],
                          client_max_size=config.max_body)
    app[CONFIG] = config
    login.setup(app)
    household.setup(app)
    origins.setup(app)
    app.cleanup_ctx.append(_token_ctx)
    if config.manage_runtime:
        app.cleanup_ctx.append(_runtime_ctx)
    setup_routes(app)
    return app


def dashboard_link(runner: web.AppRunner) -> str:
    """A fresh one-time dashboard link of a running service (what `feedlens run` prints)."""
    return login.new_link(runner.app)


async def _token_ctx(app: web.Application) -> AsyncIterator[None]:
    app[TOKEN] = await asyncio.to_thread(load_or_create_token, app[CONFIG].data_dir)
    yield


async def _runtime_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[CONFIG].runtime
    await runtime.start()
    yield
    await runtime.close()


async def serve(config: ServiceConfig) -> web.AppRunner:
    """Start the service on its loopback address; the caller awaits `runner.cleanup()`."""
    if not is_loopback(config.bind_host):
        raise ValueError(f"the service binds to loopback only, not {config.bind_host!r}")
    runner = web.AppRunner(init_app(config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.bind_host, config.bind_port)
    try:
        await site.start()
        if config.household is not None:  # the LAN dashboard, stopped by runner.cleanup()
            await household.serve_household(runner.app)
    except BaseException:
        await runner.cleanup()
        raise
    return runner
