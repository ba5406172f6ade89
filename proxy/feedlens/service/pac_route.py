"""`GET /proxy.pac`: the proxy auto-config of the live adapter set (feedlens.pac).

Public like the CA: it names only the platforms' sites and the proxy's address, and a device's
network settings fetch it without any login.
"""

from __future__ import annotations

from aiohttp import web

from .. import pac
from ..addresses import host_port
from . import setup_steps
from .config import CONFIG

CONTENT_TYPE = "application/x-ns-proxy-autoconfig"


def setup(app: web.Application) -> None:
    app.router.add_get("/proxy.pac", proxy_pac, name="proxy_pac")


def proxy_address(app: web.Application, lan_host: str | None = None) -> str:
    """The proxy as a device on the network reaches it (`lan_host` when the caller knows it)."""
    addresses = setup_steps.proxy_addresses(app[CONFIG].proxy)
    if lan_host:
        return host_port(lan_host, addresses["port"])
    return addresses["phone"] or addresses["local"]


def body(app: web.Application, lan_host: str | None = None) -> str:
    hosts = pac.platform_hosts(app[CONFIG].runtime.engine.adapters)
    return pac.pac_text(hosts, proxy_address(app, lan_host))


async def proxy_pac(request: web.Request) -> web.Response:
    return web.Response(text=body(request.app), content_type=CONTENT_TYPE,
                        headers={"Cache-Control": "max-age=300"})
