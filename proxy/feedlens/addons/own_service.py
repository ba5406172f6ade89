"""Refuse what the proxy must never forward: requests for the companion service (it answers
on this machine only), and requests of other devices for this machine's loopback addresses
(with --listen-host 0.0.0.0 a phone would otherwise reach every 127.0.0.1-only server).

The refusal is a 403 block page (zh-CN or English by Accept-Language), given before anything
is sent upstream: at CONNECT for tunnels, at the request's headers otherwise. A host name is
judged again on what it resolves to when the server connection opens. Nothing here raises
into mitmproxy: a failure to judge lets the connection attempt fail on its own.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from mitmproxy import http
from mitmproxy.proxy import server_hooks

from .. import addresses, i18n
from ..language import pick_language
from ..minors import blockpage
from . import flowstate
from .state import Shared

log = logging.getLogger("feedlens")

HEADERS = {**blockpage.HEADERS, "x-feedlens": "refused"}


class OwnService:
    name = "feedlens_own_service"  # unique among mitmproxy's add-ons

    def __init__(self, shared: Shared):
        self.shared = shared
        self.refused = 0  # requests and connections refused (tests and health read it)

    def http_connect(self, flow: http.HTTPFlow) -> None:
        self._judge(flow)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if not flowstate.answered(flow):
            self._judge(flow)

    def _judge(self, flow: http.HTTPFlow) -> None:
        config = self.shared.config
        if config is None:
            return
        why = addresses.refusal(flow.request.host, flow.request.port, config.service_port,
                                _client(flow.client_conn))
        if why is not None:
            self.refused += 1
            lang = pick_language(flow.request.headers.get("accept-language"))
            flowstate.answer(flow, http.Response.make(403, page(lang, why), HEADERS))

    async def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        """A name that resolves to what the literal check would refuse (localtest.me, rebinding)."""
        config = self.shared.config
        if config is None or not data.server.address:
            return
        host, port = str(data.server.address[0]), int(data.server.address[1])
        client = _client(data.client)
        if (addresses.ip_of(host) is not None or host.lower().rstrip(".") in config.resolve
                or (addresses.client_is_local(client) and port != config.service_port)):
            return  # literals were judged on the request; the operator's --resolve is trusted
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return  # mitmproxy's own lookup fails the same way and says so
        for info in infos:
            if addresses.refusal(info[4][0], port, config.service_port, client) is not None:
                self.refused += 1
                data.server.error = f"feedlens refuses {host}: it resolves to {info[4][0]}, " \
                                    "an address of this machine the proxy does not forward to"
                return


def _client(conn) -> str | None:
    peer = getattr(conn, "peername", None)
    return str(peer[0]) if peer else None


def page(lang: str, why: str) -> bytes:
    t = i18n.translator(lang)
    return blockpage.page(lang, "proxy_block.title", [t(f"proxy_block.{why}")],
                          footer=t("proxy_block.footer"))
