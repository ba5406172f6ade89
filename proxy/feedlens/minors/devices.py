"""Which device a flow comes from, and the in-memory device → profile map.

A device is `user:<name>` when the client authenticated to the proxy (mitmproxy's `proxyauth`
option; `feedlens run --device-auth` accepts any user name), else `addr:<client ip>`. User
names compare case-insensitively (`KID` is `kid`): they are stored case-folded.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass

MAX_DEVICES = 256  # user names come from clients: bound what one of them can make us remember
_NAME = re.compile(r"^(user|addr):[^\x00-\x1f\x7f]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Device:
    name: str
    source: str  # user | addr
    label: str | None = None
    profile: str | None = None  # None: the active profile
    first_seen: float | None = None
    last_seen: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def valid_name(name: str) -> bool:
    return isinstance(name, str) and bool(_NAME.match(name))


def source_of(name: str) -> str:
    return name.partition(":")[0]


def user_device(user: str) -> str | None:
    user = _CONTROL.sub("", user or "").strip()[:64].casefold()
    return f"user:{user}" if user else None


def normal(name: str) -> str:
    """The one spelling of a device name: a user name case-folded."""
    return f"user:{name[5:].casefold()}" if name.startswith("user:") else name


def is_console(name: str) -> bool:
    """The machine running feedlens (its own loopback address)."""
    try:
        return name.startswith("addr:") and ipaddress.ip_address(name[5:]).is_loopback
    except ValueError:
        return False


def addr_device(address: str | None) -> str:
    if not address:
        return "addr:unknown"
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return f"addr:{_CONTROL.sub('', address)[:64]}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # a dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d
    return f"addr:{ip}"


def names_of(metadata: dict, peername) -> tuple[str | None, str]:
    """(proxy-auth user device or None, client address device) of a flow."""
    auth = metadata.get("proxyauth")
    user = user_device(str(auth[0])) if auth else None
    return user, addr_device(peername[0] if peername else None)


def device_of(metadata: dict, peername) -> str:
    """The device name of a flow: proxy-auth user name, else client address (Minors.device_for
    also weighs the address's assignment)."""
    user, addr = names_of(metadata, peername)
    return user or addr


class Registry:
    """Every device seen or configured; read on the proxy path, so it lives in memory."""

    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.dirty: set[str] = set()
        self._assigned: frozenset[str] = frozenset()  # kept current: the proxy path reads it

    def get(self, name: str) -> Device | None:
        return self.devices.get(name)

    def profile(self, name: str) -> str | None:
        device = self.devices.get(name)
        return device.profile if device else None

    def seen(self, name: str, now: float) -> Device | None:
        """Note a device's traffic; None when it is new and the registry is full."""
        device = self.devices.get(name)
        if device is None:
            if len(self.devices) >= MAX_DEVICES:
                return None
            device = self.devices[name] = Device(name, source_of(name), first_seen=now)
        device.last_seen = now
        self.dirty.add(name)
        return device

    def assign(self, name: str, profile: str | None, label: str | None, now: float) -> Device:
        device = self.devices.get(name) or Device(name, source_of(name), first_seen=now)
        device.profile = profile or None
        if label is not None:
            device.label = label or None
        self.devices[name] = device
        self.refresh()
        return device

    def remove(self, name: str) -> bool:
        self.dirty.discard(name)
        removed = self.devices.pop(name, None) is not None
        self.refresh()
        return removed

    def add(self, device: Device) -> None:
        self.devices[device.name] = device
        self.refresh()

    def refresh(self) -> None:
        self._assigned = frozenset(d.profile for d in self.devices.values() if d.profile)

    def assigned_profiles(self) -> frozenset[str]:
        return self._assigned
