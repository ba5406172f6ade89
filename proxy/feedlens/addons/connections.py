"""Connection-level add-ons: --resolve, and TLS handshakes counted for health."""

from __future__ import annotations

from mitmproxy import tls
from mitmproxy.proxy import server_hooks

from .state import Shared


class Resolve:
    """Connect to another address for a host, like curl --resolve; URL and Host stay as sent."""

    name = "feedlens_resolve"  # unique among mitmproxy's add-ons


    def __init__(self, shared: Shared):
        self.shared = shared

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        # (Inside an HTTPS tunnel mitmproxy then shows the IP as flow.request.host; pretty_host
        # keeps the name.)
        config = self.shared.config
        if config is None or not config.resolve or not data.server.address:
            return
        host = str(data.server.address[0])
        target = config.resolve.get(host.lower().rstrip("."))
        if target is not None:
            data.server.sni = data.server.sni or host  # keep TLS (SNI, verification) on the name
            data.server.address = target


class TlsHealth:
    """Client handshakes, ok or failed: the "does this client trust our CA?" signal."""

    name = "feedlens_tls_health"  # unique among mitmproxy's add-ons


    def __init__(self, shared: Shared):
        self.shared = shared

    def tls_established_client(self, data: tls.TlsData) -> None:
        if self.shared.runtime is not None:
            peer = data.context.client.peername
            self.shared.runtime.counters.tls_established(peer[0] if peer else None)

    def tls_failed_client(self, data: tls.TlsData) -> None:
        # Most often the client does not trust mitmproxy's CA (or pins its certificate).
        if self.shared.runtime is None:
            return
        peer = data.context.client.peername
        self.shared.runtime.counters.tls_failed(peer[0] if peer else None, data.conn.sni,
                                                data.conn.error)
