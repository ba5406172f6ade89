"""Coverage gaps the proxy met: feeds no endpoint claims, and claimed endpoints whose format
changed (they found no items in a body that looks like a feed). Shown in health with a
content-free line the user can copy into a bug report: no ids, no text, no query string."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MAX_GAPS = 200  # distinct (kind, host, path) entries kept; the oldest goes first

UNCLAIMED, FORMAT_CHANGE = "unclaimed", "format_change"


@dataclass
class Gap:
    kind: str  # UNCLAIMED | FORMAT_CHANGE
    platform: str
    host: str
    path: str
    adapter_version: str
    endpoint: str | None = None  # the claimed endpoint, for a format change
    responses: int = 0
    items: int = 0
    last: float = field(default_factory=time.time)

    def report_line(self) -> str:
        where = f"{self.host}{self.path}"
        endpoint = f" endpoint={self.endpoint}" if self.endpoint else ""
        return (f"feedlens {self.kind}: {where} items={self.items} responses={self.responses}"
                f" adapter={self.platform}@{self.adapter_version}{endpoint}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "platform": self.platform, "host": self.host, "path": self.path,
                "endpoint": self.endpoint, "adapter_version": self.adapter_version,
                "responses": self.responses, "items": self.items, "last": self.last,
                "report": self.report_line()}


class CoverageGaps:
    """Touched only on the event loop thread."""

    def __init__(self) -> None:
        self._gaps: dict[tuple[str, str, str], Gap] = {}

    def seen(self, kind: str, platform: str, host: str, path: str, items: int,
             adapter_version: str, endpoint: str | None = None) -> None:
        key = (kind, host.lower(), path)
        gap = self._gaps.pop(key, None) or Gap(kind, platform, host.lower(), path,
                                               adapter_version, endpoint)
        gap.responses += 1
        gap.items += items
        gap.last = time.time()
        self._gaps[key] = gap  # most recent last
        if len(self._gaps) > MAX_GAPS:
            self._gaps.pop(next(iter(self._gaps)))

    def snapshot(self) -> dict:
        gaps = sorted(self._gaps.values(), key=lambda g: -g.last)
        return {"unclaimed": [g.to_dict() for g in gaps if g.kind == UNCLAIMED],
                "format_changes": [g.to_dict() for g in gaps if g.kind == FORMAT_CHANGE]}
