"""Apply decisions to the parsed document in place: remove, reorder, mark visible texts.

Only the slots that items occupy in their list are touched: cursors, pagination entries and
other non-item elements keep their places, so the platform's own client still pages normally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .extract import Located
from .marks import write as write_mark
from .model import Item
from .profiles import Profile


@dataclass(slots=True)
class _Unit:
    """One list element and the items inside it (usually exactly one)."""

    element: object
    items: list[Item] = field(default_factory=list)

    # A unit is nearly always one item: it is asked directly, without a generator.
    @property
    def hidden(self) -> bool:
        items = self.items
        return items[0].decision == "hide" if len(items) == 1 else all(i.decision == "hide" for i in items)

    @property
    def to_end(self) -> bool:
        items = self.items
        return (items[0].decision == "move_to_end" if len(items) == 1
                else any(i.decision == "move_to_end" for i in items))

    @property
    def chronological(self) -> bool:
        items = self.items
        return items[0].chronological if len(items) == 1 else all(i.chronological for i in items)

    @property
    def time(self) -> int:
        return max((i.published or 0) for i in self.items)


def prefix_titles(located: list[Located], items: list[Item], profile: Profile, lang: str) -> bool:
    """Prefix the visible texts of items (the adapter's `mark:` targets) for clients without
    the extension; returns whether anything changed."""
    changed = False
    prefixes: dict[str, str] = {}  # per provenance: the same for every item of the response
    for loc, item in zip(located, items):
        if item.decision == "hide" or not loc.shape.marks:
            continue
        labelled = item.decision in ("label", "blur")
        if not (profile.title_prefix == "all" or item.decision == "label"
                or (profile.title_prefix == "labelled" and labelled)):
            continue
        prefix = item.label_text
        if not prefix:
            provenance = str(item.provenance)
            prefix = prefixes.get(provenance)
            if prefix is None:
                prefix = prefixes[provenance] = profile.prefix_for(provenance, lang)
        if prefix and write_mark(loc.node, loc.shape.marks, prefix):
            changed = True
    return changed


def reorder(located: list[Located], items: list[Item]) -> bool:
    """Remove hidden items and apply move_to_end / chronological within each list."""
    by_container: dict[int, tuple[list, dict[int, _Unit]]] = {}
    groups: dict[int, tuple[list, dict, list[Item]]] = {}
    changed = False
    for loc, item in zip(located, items):
        if loc.group is not None:
            groups.setdefault(id(loc.group[1]), (*loc.group, []))[2].append(item)
        if loc.element is None:  # not alone in its list element: remove the item itself
            if item.decision == "hide" and loc.holder is not None and loc.key in loc.holder:
                del loc.holder[loc.key]
                changed = True
            continue
        container, units = by_container.setdefault(id(loc.container), (loc.container, {}))
        units.setdefault(id(loc.element), _Unit(loc.element)).items.append(item)
    for container, units in by_container.values():
        if any(u.hidden or u.to_end or u.chronological for u in units.values()):
            changed |= _rebuild(container, units)
    for container, element, members in groups.values():  # items.remove_emptied
        if all(i.decision == "hide" for i in members) and any(e is element for e in container):
            container[:] = [e for e in container if e is not element]
            changed = True
    return changed


def _rebuild(container: list, units: dict[int, _Unit]) -> bool:
    """Hidden items leave the list where they are; the kept ones are reordered (move_to_end,
    chronological) among the slots kept items occupy, so every other element (a cursor, an X
    module whose tweets are items of their own) keeps its place between them."""
    hidden = {key for key, unit in units.items() if unit.hidden}
    remaining = [e for e in container if id(e) not in hidden]
    kept = [units[id(e)] for e in remaining if id(e) in units]
    chrono_slots = [i for i, u in enumerate(kept) if u.chronological]
    newest_first = sorted((kept[i] for i in chrono_slots), key=lambda u: u.time, reverse=True)
    for slot, unit in zip(chrono_slots, newest_first):
        kept[slot] = unit
    ends = [u.to_end for u in kept]
    kept = [u for u, end in zip(kept, ends) if not end] + [u for u, end in zip(kept, ends) if end]
    queue = iter(kept)
    rebuilt = [next(queue).element if id(element) in units else element for element in remaining]
    if len(rebuilt) == len(container) and all(a is b for a, b in zip(rebuilt, container)):
        return False
    container[:] = rebuilt
    return True
