"""Which destinations the proxy must not forward to: its own service, and this machine's
loopback for the devices on the network (issue 15, item 4).

A destination is judged as the client wrote it: an IP literal in any form the resolver
accepts (`127.1`, `2130706433`, `[::ffff:127.0.0.1]`), a `localhost` name, or this machine's
own address (an address a socket can bind to is one of ours). Other names are judged on what
they resolve to (the add-on does that, off the common path).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_INET_ATON = re.compile(r"^[0-9a-fx.]+$")  # what inet_aton reads: 127.1, 0x7f000001, 2130706433


def ip_of(host: str) -> IP | None:
    """The address a host names without a DNS lookup, or None for a name."""
    text = host.strip().strip("[]").split("%", 1)[0].rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        if not _INET_ATON.match(text):
            return None
        try:
            ip = ipaddress.ip_address(socket.inet_ntoa(socket.inet_aton(text)))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_localhost_name(host: str) -> bool:
    name = host.strip().strip("[]").rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")  # RFC 6761: always loopback


def is_loopback(host: str) -> bool:
    """Loopback, or the unspecified address (connecting to 0.0.0.0 reaches this machine)."""
    if is_localhost_name(host):
        return True
    ip = ip_of(host)
    return ip is not None and (ip.is_loopback or ip.is_unspecified)


@functools.lru_cache(maxsize=256)
def is_own_address(ip: IP) -> bool:
    """One of this machine's addresses: only those can be bound to."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(ip), 0))
        return True
    except OSError:
        return False


def reaches_this_machine(host: str) -> bool:
    if is_loopback(host):
        return True
    ip = ip_of(host)
    return ip is not None and is_own_address(ip)


def refusal(host: str, port: int, service_port: int, client: str | None) -> str | None:
    """Why the proxy refuses to forward to host:port for this client, or None."""
    if port == service_port and reaches_this_machine(host):
        return "own_service"
    if not client_is_local(client) and is_loopback(host):
        return "loopback"
    return None


def client_is_local(client: str | None) -> bool:
    """A client that reached the proxy over loopback. One that came in on a network address is
    treated as a device on the network, even from this machine (it can reach loopback itself)."""
    ip = ip_of(client) if client else None
    return ip is not None and ip.is_loopback


def host_port(host: str, port: int) -> str:
    """`host:port` as a URL or a PAC `PROXY` names it: an IPv6 literal goes in brackets."""
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def lan_address(host: str) -> str:
    """A household dashboard's address: an IP literal that is neither loopback (that is the
    plain service) nor unspecified (its certificate names one address). ValueError otherwise."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address") from None
    if address.is_loopback or address.is_unspecified:
        raise ValueError(f"{host} is not a LAN address")
    return str(address)


def parse_household(value: str, default_port: int = 8443) -> tuple[str, int]:
    """`HOST`, `HOST:PORT` or `[V6]:PORT`."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest.removeprefix(":") or default_port)
    host, sep, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    return (host, int(port)) if sep else (value, default_port)
