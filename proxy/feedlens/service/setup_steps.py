"""The overview's setup checklist and health verdict, from what the proxy itself observed.

Four steps, each green only on evidence: a client used the proxy (an address seen by it), that
client trusts the CA (its TLS handshakes succeed, per client: counters.tls_clients), a feed was
seen (per platform), the extension called the service. The verdict is "no traffic yet" before
the first client, red with its reasons while anything is wrong, green only then.
"""

from __future__ import annotations

import socket

from ..addresses import host_port

STEPS = ("proxy", "ca", "feed", "extension")
DEFAULT_PROXY = ("127.0.0.1", 8080)
ANY_HOST = ("", "0.0.0.0", "::")


def client_trust(tls_clients: dict[str, dict]) -> dict[str, str]:
    """Per client address: "trusted" (its latest handshake succeeded) or "untrusted"."""
    out = {}
    for client, entry in tls_clients.items():
        last_ok, last_failure = entry.get("last_ok"), entry.get("last_failure")
        good = last_ok is not None and (last_failure is None or last_ok >= last_failure)
        out[client] = "trusted" if good else "untrusted"
    return out


def clients_seen(counters: dict) -> list[str]:
    # A client whose handshakes all fail never gets a response: count its handshakes too.
    return sorted(set(counters.get("clients") or {}) | set(counters.get("tls_clients") or {}))


def checklist(counters: dict, extension_contact: float | None) -> list[dict]:
    """The steps in order: {key, state: done | todo | bad, clients/platforms shown with it}."""
    clients = clients_seen(counters)
    trust = client_trust(counters.get("tls_clients") or {})
    untrusted = sorted(c for c, s in trust.items() if s == "untrusted")
    trusted = sorted(c for c, s in trust.items() if s == "trusted")
    platforms = sorted(counters.get("last_feed") or {})
    ca_state = "bad" if untrusted else ("done" if trusted else "todo")
    return [
        {"key": "proxy", "state": "done" if clients else "todo", "items": clients},
        {"key": "ca", "state": ca_state, "items": trusted, "bad_items": untrusted,
         "sni": _failed_hosts(counters.get("tls_clients") or {}, untrusted)},
        {"key": "feed", "state": "done" if platforms else "todo", "items": platforms},
        {"key": "extension", "state": "done" if extension_contact else "todo", "items": []},
    ]


def _failed_hosts(tls_clients: dict[str, dict], clients: list[str]) -> list[str]:
    return sorted({tls_clients[c]["sni"] for c in clients if tls_clients[c].get("sni")})


def verdict(steps: list[dict], problems: list[str]) -> dict:
    """{"level": ok | wait | bad, "reasons": [(message key, params)]} for the health box."""
    reasons = [("setup.reason.problem", {"problem": p}) for p in problems]
    by_key = {s["key"]: s for s in steps}
    if by_key["ca"]["state"] == "bad":
        reasons.insert(0, ("setup.reason.untrusted",
                           {"clients": ", ".join(by_key["ca"]["bad_items"])}))
    if reasons:
        return {"level": "bad", "reasons": reasons}
    if by_key["proxy"]["state"] != "done":
        return {"level": "wait", "reasons": [("setup.reason.no_traffic", {})]}
    return {"level": "ok", "reasons": []}


def proxy_addresses(proxy: tuple[str, int] | None) -> dict:
    """What to type as the proxy: on this computer, and on a phone (None: not reachable)."""
    host, port = proxy or DEFAULT_PROXY
    local = "127.0.0.1" if host in ANY_HOST else host
    if host in ANY_HOST:
        phone = lan_address()
    else:
        phone = None if host in ("127.0.0.1", "localhost", "::1") else host
    return {"local": host_port(local, port), "phone": host_port(phone, port) if phone else None,
            "port": port}


def lan_address() -> str | None:
    """This machine's address on its local network (a UDP connect sends no packet)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            address = sock.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def qr_svg(text: str) -> str:
    """An inline SVG QR code of `text` (no script, no style attribute: fits the page's CSP)."""
    import segno  # pure Python, no dependencies: the phone scans the proxy address
    return segno.make(text, error="m").svg_inline(scale=4, border=2)
