"""Drive the feedlens add-on chain as mitmproxy does: each hook on every add-on, in order,
awaiting what a hook returns (mitmproxy's own AddonManager.invoke_addon)."""

from __future__ import annotations

import asyncio

from mitmproxy import ctx, hooks, http, tls
from mitmproxy.proxy.layers import tls as tls_layer
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.layers.http import (HttpRequestHeadersHook, HttpRequestHook,
                                         HttpResponseHeadersHook, HttpResponseHook)


async def fire(addon, event: hooks.Hook) -> None:
    await ctx.master.addons.invoke_addon(addon, event)


async def until_ready(offload, spec, seconds: float = 60) -> None:
    """Waits for a started engine worker to have built its adapters (a liveness bound, not a
    timing)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not offload.ready(spec):
        assert asyncio.get_running_loop().time() < deadline, "no engine worker became ready"
        await asyncio.sleep(0.05)


async def workers_ready(addon) -> None:
    """Start the engine workers (they start lazily, with the first large body) and wait for
    them: the next large body goes to a worker."""
    addon.offload.warm(addon.runtime.engine_spec)
    await until_ready(addon.offload, addon.runtime.engine_spec)


async def running(addon) -> None:
    await fire(addon, hooks.RunningHook())


async def done(addon) -> None:
    await fire(addon, hooks.DoneHook())


async def request_side(addon, f: http.HTTPFlow) -> None:
    await fire(addon, HttpRequestHeadersHook(f))
    await fire(addon, HttpRequestHook(f))


async def response_side(addon, f: http.HTTPFlow) -> None:
    await fire(addon, HttpResponseHeadersHook(f))
    await fire(addon, HttpResponseHook(f))


async def server_connect(addon, data: server_hooks.ServerConnectionHookData) -> None:
    await fire(addon, server_hooks.ServerConnectHook(data))


async def tls_failed(addon, data: tls.TlsData) -> None:
    await fire(addon, tls_layer.TlsFailedClientHook(data))


async def tls_established(addon, data: tls.TlsData) -> None:
    await fire(addon, tls_layer.TlsEstablishedClientHook(data))
