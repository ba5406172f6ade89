"""feedlens's settings, parsed once from command-line or mitmproxy options into a Config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .engine import DEFAULT_BODY_CAP

MARK_STYLES = ("profile", "off", "labelled", "all")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Config:
    """Parsed once, from CLI options or mitmproxy options."""

    data_dir: Path
    rules_dir: Path
    profile: str = "default"  # "" = the last choice saved in state.json, else "default"
    service_host: str = "127.0.0.1"
    service_port: int = 8787
    mark_style: str = "profile"  # profile = the profile's mark.title_prefix; else overrides it
    body_cap: int = DEFAULT_BODY_CAP
    resolve: dict[str, tuple[str, int]] = field(default_factory=dict)
    retention_days: int = 90
    pack_check: float = 0.0  # seconds between background rule-pack checks; 0: none (packs.background)
    # the opt-in counterfactual check (feedlens.choices.counterfactual): off by default; at most
    # one paired fetch per platform per interval
    counterfactual: bool = False
    counterfactual_interval: float = 30 * 60

    @property
    def db_path(self) -> Path:
        return self.data_dir / "feedlens.sqlite3"

    @property
    def service_url(self) -> str:
        host = f"[{self.service_host}]" if ":" in self.service_host else self.service_host
        return f"http://{host}:{self.service_port}/"


def parse_resolve(specs) -> dict[str, tuple[str, int]]:
    """`HOST=IP:PORT` entries (IPv6 as `[::1]:443`); raises ValueError naming the bad entry."""
    out: dict[str, tuple[str, int]] = {}
    for spec in specs:
        host, sep, target = spec.partition("=")
        address, _, port = target.rpartition(":")
        address = address.strip("[]")
        if not (sep and host and address and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"bad resolve entry {spec!r}: expected HOST=IP:PORT")
        out[host.strip().lower().rstrip(".")] = (address, int(port))
    return out
