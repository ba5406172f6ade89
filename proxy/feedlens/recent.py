"""The last items the proxy saw, in memory only: what a report's evidence bundle quotes.

The item log keeps no item text; a report needs the item exactly as it went through the
proxy, so the latest few thousand items are kept here and forgotten on exit.
"""

from __future__ import annotations

from collections import OrderedDict

from .model import Item

DEFAULT_SIZE = 5000


class RecentItems:
    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._items: OrderedDict[tuple[str, str], tuple[float, str, Item]] = OrderedDict()

    def add(self, time: float, url: str, items: list[Item]) -> None:
        """Items of one response; `url` is the response's URL without its query."""
        for item in items:
            if item.id is None:
                continue
            key = (item.platform, str(item.id))
            self._items.pop(key, None)
            self._items[key] = (time, url, item)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, platform: str, item_id: str) -> dict | None:
        """{"seen": time, "response_url": url, "item": Item.to_dict()} or None when not seen."""
        entry = self._items.get((platform, str(item_id)))
        if entry is None:
            return None
        time, url, item = entry
        return {"seen": time, "response_url": url, "item": item.to_dict()}

    def latest(self, n: int) -> list[Item]:
        """The last `n` items seen, oldest first (the /rules page previews a rule on them)."""
        return [entry[2] for entry in list(self._items.values())[-n:]] if n > 0 else []

    def __len__(self) -> int:
        return len(self._items)
