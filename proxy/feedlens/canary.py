"""The unclaimed-feed canary: a response that looks like a feed but that no endpoint reads.

A platform host answers many surfaces, and an adapter knows only some of them. A body from one
of the platform's hosts that holds a list of feed items (by the platform's own item keys, from
the adapter's `feed_like:` section) but that no endpoint claims is a coverage gap: it is counted
and shown, never passed as if it had been checked. The same test on a claimed endpoint that
yielded no items tells of a format change.

The scan is bounded (nodes visited, depth), so a hostile or huge body costs little.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Evidence, Item, Provenance

MAX_NODES = 50_000  # JSON nodes visited per body, at most
ITEM_DEPTH = 3  # how deep inside one list element its identifying key may sit


@dataclass(frozen=True)
class FeedShape:
    """How one platform's feed items look, and on which hosts and paths to look for them."""

    platform: str
    version: str
    keys: frozenset[str]
    min_items: int
    hosts: tuple[str, ...]  # exact names or *.suffix
    paths: tuple[str, ...]  # path prefixes; empty: any path (any-host platforms need some)

    def count(self, doc) -> int:
        """Items in the largest list of the body that look like this platform's items."""
        best = _largest_item_list(doc, self.keys)
        return best if best >= self.min_items else 0


def shape_of(adapter) -> FeedShape | None:
    """The adapter's `feed_like:` section, compiled (None when it has none)."""
    spec = adapter.raw.get("feed_like")
    if not spec:
        return None
    hosts = spec.get("hosts") or sorted({h for e in adapter.endpoints for h in e.hosts})
    return FeedShape(platform=adapter.platform, version=adapter.version,
                     keys=frozenset(spec["keys"]), min_items=spec.get("min_items", 2),
                     hosts=tuple(h.lower() for h in hosts), paths=tuple(spec.get("paths", ())))


class Canary:
    """Which platform's shape applies to a (host, path): built once per rules generation."""

    def __init__(self, shapes: list[FeedShape]):
        self._exact: dict[str, FeedShape] = {}
        self._suffix: dict[str, FeedShape] = {}
        self._any: list[FeedShape] = []
        for shape in shapes:
            for host in shape.hosts:
                if host == "*":
                    if shape.paths:  # never scan every JSON response of every host
                        self._any.append(shape)
                elif host.startswith("*."):
                    self._suffix[host[2:]] = shape
                else:
                    self._exact[host] = shape
        self.by_platform = {shape.platform: shape for shape in shapes}

    def shape_for(self, host: str, path: str) -> FeedShape | None:
        shape = self._host_shape(host.lower())
        if shape is not None and (not shape.paths or path.startswith(shape.paths)):
            return shape
        # any-host platforms (Mastodon, Bluesky) are recognised by their API paths only
        return next((s for s in self._any if s.paths and path.startswith(s.paths)), None)

    def _host_shape(self, host: str) -> FeedShape | None:
        if host in self._exact:
            return self._exact[host]
        labels = host.split(".")
        for i in range(1, len(labels)):
            shape = self._suffix.get(".".join(labels[i:]))
            if shape is not None:
                return shape
        return self._suffix.get(host)


def _largest_item_list(doc, keys: frozenset[str]) -> int:
    """Walk the body breadth-first within MAX_NODES; for each list of objects, count the
    elements carrying one of `keys` (within ITEM_DEPTH levels); return the largest count."""
    best, budget, queue = 0, [MAX_NODES], [doc]
    while queue and budget[0] > 0:
        node = queue.pop()
        budget[0] -= 1
        if isinstance(node, dict):
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            hits = sum(1 for element in node if _carries(element, keys, ITEM_DEPTH, budget))
            best = max(best, hits)
            queue.extend(v for v in node if isinstance(v, (dict, list)))
    return best


def _carries(node, keys: frozenset[str], depth: int, budget: list[int]) -> bool:
    if budget[0] <= 0 or not isinstance(node, dict):
        return False
    budget[0] -= 1
    if not keys.isdisjoint(node):
        return True
    if depth == 0:
        return False
    return any(_carries(value, keys, depth - 1, budget) for value in node.values()
               if isinstance(value, dict))


def unclaimed_items(shape: FeedShape, count: int, endpoint: str) -> list[Item]:
    """Placeholder items for a feed no endpoint read: each is `unknown`, and says why."""
    why = Evidence("why", "no adapter for this surface", source="endpoint")
    return [Item(platform=shape.platform, endpoint=endpoint, surface=endpoint, position=i, id=None,
                 kind="unknown", provenance=Provenance.UNKNOWN, reason="no adapter for this surface",
                 evidence=[why], confidence=0.0, rule=endpoint, format_why="no adapter for this surface",
                 relation_why="no adapter for this surface") for i in range(count)]
