"""The data the engine produces: items, their provenance, evidence and decisions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Provenance(StrEnum):
    FOLLOWED = "followed"
    PERSONALIZED = "personalized"
    POPULAR = "popular"
    PROMOTED = "promoted"
    SEARCH = "search"
    OWN = "own"
    UNKNOWN = "unknown"


# The order provenances stack in, bottom first, wherever a chart or a table lists them (the
# dashboard's bars, the research charts and tables): one order for every view.
PROVENANCE_ORDER = ("followed", "search", "own", "personalized", "popular", "promoted", "unknown")


def provenance_rank(provenance: str) -> int:
    """Position in PROVENANCE_ORDER (unknown values last): bottom of a stack first."""
    order = PROVENANCE_ORDER
    return order.index(provenance) if provenance in order else len(order)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observed fact behind a mark: a field path and the value it had."""

    path: str
    value: Any
    source: str = "item"  # item | endpoint | request

    def to_dict(self) -> dict:
        return {"source": self.source, "path": self.path, "value": self.value}


@dataclass(slots=True)
class Item:
    """One card as the platform renders it."""

    platform: str
    endpoint: str
    surface: str
    position: int
    id: str | None
    kind: str
    provenance: Provenance = Provenance.UNKNOWN
    author_id: str | None = None
    author: str | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None
    published: int | None = None  # unix seconds
    # What the item is (item_format.py, docs/format.md): closed vocabularies, and the signal
    # or, for unknown, the reason behind each
    format: str = "unknown"
    relation: str = "unknown"
    duration_s: int | None = None
    format_why: str | None = None
    relation_why: str | None = None
    reason: str | None = None  # the platform's own reason text
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float = 0.5
    rule: str | None = None  # provenance rule that decided, e.g. "web-home-recommend#2"
    labels: list[str] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)
    decision: str = "keep"
    decision_rule: str | None = None  # preference rule id that decided the action
    label_text: str | None = None
    chronological: bool = False
    # the rule pack whose adapter read the item, "name version" (feedlens.layers), e.g.
    # "feedlens-core 2026.12.06"; None when the adapter came from no pack (a test's, a file's)
    pack: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["provenance"] = str(self.provenance)
        data["evidence"] = [e.to_dict() for e in self.evidence]
        return data


UNCLAIMED = "unclaimed"  # the endpoint (and surface) name of a feed no adapter reads


@dataclass(slots=True)
class Outcome:
    """What the engine did with one response.

    `body` is the rewritten body when `changed`, else None (pass the original through).
    `reason` says why nothing was done when no endpoint matched or input was bad.
    """

    endpoint: str | None = None
    platform: str | None = None
    surface: str | None = None
    items: list[Item] = field(default_factory=list)
    changed: bool = False
    body: bytes | None = None
    reason: str | None = None
    error: str | None = None
    # Feed-like items in the body that no endpoint read (feedlens.canary): on an unclaimed
    # surface (endpoint UNCLAIMED), or on a claimed endpoint that found none (a format change).
    unclaimed: int = 0
    # Digests of the continuation tokens this page issued (feedlens.continuations).
    tokens: list[str] = field(default_factory=list)
    # Placeholder cards left on a page the rules emptied, so the client keeps paging.
    placeholders: int = 0

    @property
    def is_feed(self) -> bool:
        return self.endpoint is not None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            out[str(item.provenance)] = out.get(str(item.provenance), 0) + 1
        return out
