"""What the proxy has seen since start, for health: responses, items, errors, TLS handshakes."""

from __future__ import annotations

import time

MAX_CLIENTS = 64  # client addresses remembered (most recent first out)


class Counters:
    """What the proxy has seen since start; touched only on the event loop thread."""

    def __init__(self):
        self.responses_seen = 0
        self.feed_responses = 0
        self.items_marked = 0
        self.items_hidden = 0
        self.responses_changed = 0
        self.streamed = 0
        # feed bodies passed on unprocessed because they are (or decode to) more than the cap
        self.over_cap = 0
        self.errors = 0
        self.errors_by_adapter: dict[str, int] = {}
        self.last_error: dict | None = None
        self.last_feed: dict[str, float] = {}
        self.tls_ok = 0
        self.tls_failures = 0
        self.last_tls_ok: float | None = None
        self.last_tls_failure: dict | None = None
        self.clients: dict[str, float] = {}
        # per client address: {"ok", "failed", "last_ok", "last_failure", "sni"}: which device
        # trusts the CA (the setup checklist on the dashboard)
        self.tls_clients: dict[str, dict] = {}
        # what became of optional steps, by name (e.g. "counterfactual.rate_limited")
        self.tallies: dict[str, int] = {}

    def tally(self, name: str) -> None:
        self.tallies[name] = self.tallies.get(name, 0) + 1

    def client(self, address: str | None) -> None:
        if not address:
            return
        self.clients.pop(address, None)
        self.clients[address] = time.time()
        if len(self.clients) > MAX_CLIENTS:
            self.clients.pop(next(iter(self.clients)))

    def error(self, adapter: str, message: str) -> None:
        self.errors += 1
        self.errors_by_adapter[adapter] = self.errors_by_adapter.get(adapter, 0) + 1
        self.last_error = {"time": time.time(), "adapter": adapter, "error": message}

    def tls_failed(self, client: str | None, sni: str | None, error: str | None) -> None:
        self.tls_failures += 1
        self.last_tls_failure = {"time": time.time(), "client": client, "sni": sni, "error": error}
        entry = self._tls_client(client)
        if entry is not None:
            entry.update(failed=entry["failed"] + 1, last_failure=time.time(), sni=sni)

    def tls_established(self, client: str | None = None) -> None:
        self.tls_ok += 1
        self.last_tls_ok = time.time()
        entry = self._tls_client(client)
        if entry is not None:
            entry.update(ok=entry["ok"] + 1, last_ok=self.last_tls_ok)

    def _tls_client(self, client: str | None) -> dict | None:
        if not client:
            return None
        entry = self.tls_clients.pop(client, None) or {
            "ok": 0, "failed": 0, "last_ok": None, "last_failure": None, "sni": None}
        self.tls_clients[client] = entry  # most recent last, like clients
        if len(self.tls_clients) > MAX_CLIENTS:
            self.tls_clients.pop(next(iter(self.tls_clients)))
        return entry

    def ca_trusted(self) -> bool | None:
        """None until a client tried TLS; False while its latest handshakes failed."""
        if self.last_tls_failure is None:
            return True if self.tls_ok else None
        return self.last_tls_ok is not None and self.last_tls_ok > self.last_tls_failure["time"]

    def snapshot(self) -> dict:
        return {
            "responses_seen": self.responses_seen, "feed_responses": self.feed_responses,
            "responses_changed": self.responses_changed, "streamed": self.streamed,
            "over_cap": self.over_cap,
            "items_marked": self.items_marked, "items_hidden": self.items_hidden,
            "errors": self.errors, "errors_by_adapter": dict(self.errors_by_adapter),
            "last_error": self.last_error, "last_feed": dict(self.last_feed),
            "tls_ok": self.tls_ok, "tls_failures": self.tls_failures,
            "last_tls_failure": self.last_tls_failure, "clients_seen": len(self.clients),
            "clients": dict(self.clients),
            "tls_clients": {c: dict(e) for c, e in self.tls_clients.items()},
            "tallies": dict(self.tallies),
        }
