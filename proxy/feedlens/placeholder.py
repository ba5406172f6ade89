"""A page the user's rules emptied keeps the platform's client paging (issue 19).

Clients end a feed at an empty page: praw stops a listing when a page has no children,
twscrape gives up after a few empty pages, and an infinite-scroll page whose new page added
nothing never sees its "load more" sentinel move again. So the stricter the user's choice, the
sooner the feed would stop. When every item of a page that has a next page was hidden, one
placeholder card is left in the platform's own shape: a copy of a hidden item's list element
with its visible text replaced by a note ("feedlens hid 12 items here…") and its media, links
and counts neutralised by the adapter's `placeholder:` section (`set` and `drop`, paths inside
the item). The copy keeps the shape strict clients validate; nothing of the hidden item that a
person would see is left. Cursors are never touched.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass

from .jmes import get_steps

MESSAGES = {
    "en": "feedlens hid {hidden} items here (your rules). Keep scrolling for more.",
    "zh": "feedlens 按你的规则隐藏了这里的 {hidden} 条内容，继续下滑查看更多。",
}


_MESSAGE_STARTS = tuple(m.split("{")[0] for m in MESSAGES.values())
# as they read in a body's text: literal, or \u-escaped (a body re-encoded as ASCII)
_MESSAGE_TEXTS = tuple({form for start in _MESSAGE_STARTS for form in (start, json.dumps(start)[1:-1])})


@dataclass(frozen=True, slots=True)
class PlaceholderSpec:
    """An endpoint's `placeholder:`: `set` (steps → value, strings may hold {message} and
    {hidden}), `drop` (steps removed), `when` (a condition on the document saying the page has
    a next page; without it, every emptied page gets its card)."""

    set: tuple[tuple[tuple, object], ...]
    drop: tuple[tuple, ...]
    when: object = None  # jmes.Expr


@dataclass(slots=True)
class Plan:
    """Where the placeholder goes, decided before the hidden items are removed."""

    container: list
    before: list  # the container's elements before the first hidden one (cursors, headers)
    element: object
    node: dict
    # when the element is a group of items (an X conversation module): the item's own list and
    # element inside it, so the copy keeps that one item only
    inner: tuple[list, object] | None = None


def may_hold_one(text: str | None) -> bool:
    """Whether a body can hold a card at all: its text carries a note (a quick test in C that
    spares looking at every item of every body); without the text, assume it may."""
    return text is None or any(start in text for start in _MESSAGE_TEXTS)


def is_placeholder(spec: PlaceholderSpec | None, node) -> bool:
    """A card this module made (its message is in a `set` path): not an item of the feed."""
    if spec is None or not isinstance(node, dict):
        return False
    for steps, value in spec.set:
        if isinstance(value, str) and "{message}" in value:
            found, text = get_steps(node, list(steps))
            if found and isinstance(text, str) and text.startswith(_MESSAGE_STARTS):
                return True
    return False


def plan(spec: PlaceholderSpec | None, located, items) -> list[Plan]:
    """Candidate plans, best first, when the page is emptied (items were found and every one
    is hidden); `apply` uses the first whose item the spec can turn into a placeholder."""
    if spec is None or not items or any(i.decision != "hide" for i in items):
        return []
    return list(_candidates(located))


def _candidates(located):
    # an item alone in its list element first; else an item of a group, whose group goes
    alone = [loc for loc in located if loc.element is not None and loc.group is None]
    for loc in alone + [loc for loc in located if loc.group is not None]:
        group = loc.group
        container, element = (group if group is not None else (loc.container, loc.element))
        if element is None or not isinstance(container, list):
            continue
        index = next((n for n, e in enumerate(container) if e is element), None)
        if index is None:
            continue
        if group is None:
            yield Plan(container, container[:index], element, loc.node)
            continue
        # the group's own list loses its hidden items before the card is made: copy it now
        memo: dict = {}
        snapshot = deep_copy(element, memo)
        if id(loc.node) in memo and id(loc.container) in memo and id(loc.element) in memo:
            yield Plan(container, container[:index], snapshot, memo[id(loc.node)],
                       (memo[id(loc.container)], memo[id(loc.element)]))


def apply(spec: PlaceholderSpec, plans: list[Plan], doc, hidden: int, lang: str, seed: str = "") -> bool:
    """Insert the placeholder where the first hidden element was."""
    if not plans or (spec.when is not None and not spec.when.holds(doc)):
        return False
    values = _values(MESSAGES["zh" if lang.startswith("zh") else "en"].format(hidden=hidden), hidden, seed)
    return any(_insert(spec, chosen, values) for chosen in plans)


def _values(message: str, hidden: int, seed: str) -> dict[str, str]:
    """What a `set` string may name: the note, the count, and a made-up id. The card must not
    keep the hidden item's id (a client would open the hidden post from it), yet ids must look
    like the platform's and differ from page to page (twscrape drops repeated entries); so they
    are derived from the hidden items' ids, which never appear."""
    number = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    base36, rest = "", number
    while rest:
        rest, digit = divmod(rest, 36)
        base36 += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
    return {"{message}": message, "{hidden}": str(hidden),
            "{id_digits}": str(10**18 + number % (9 * 10**18)), "{id_base36}": (base36 or "0")[:8]}


def _insert(spec: PlaceholderSpec, chosen: Plan, values: dict[str, str]) -> bool:
    memo: dict = {}
    card = deep_copy(chosen.element, memo)
    node = memo.get(id(chosen.node), card)
    if chosen.inner is not None and id(chosen.inner[0]) in memo and id(chosen.inner[1]) in memo:
        memo[id(chosen.inner[0])][:] = [memo[id(chosen.inner[1])]]  # that one item of the group
    for steps, value in spec.set:
        _set(node, steps, _fill(value, values))
    for steps in spec.drop:
        _drop(node, steps)
    if not is_placeholder(spec, node):  # the spec has no text path for this kind of item: a
        return False                    # copy would show the hidden item, so leave none
    kept_before = sum(1 for e in chosen.container if any(e is b for b in chosen.before))
    chosen.container.insert(kept_before, card)
    return True


def _fill(value, values: dict[str, str]):
    if isinstance(value, str):
        for name, text in values.items():
            value = value.replace(name, text)
        return value
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def _set(node, steps: tuple, value) -> None:
    """Set an existing key (or list index) at steps; a path the item does not have is left
    alone, so one spec serves items with and without optional parts."""
    found, parent = get_steps(node, list(steps[:-1]))
    last = steps[-1]
    if not found:
        return
    if isinstance(parent, dict) and last in parent:
        parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and -len(parent) <= last < len(parent):
        parent[last] = value


def _drop(node, steps: tuple) -> None:
    found, parent = get_steps(node, list(steps[:-1]))
    if found and isinstance(parent, dict):
        parent.pop(steps[-1], None)


_ATOMS = frozenset({str, int, float, bool, type(None)})


def deep_copy(value, memo: dict):
    """copy.deepcopy(value, memo) for parsed JSON, several times faster: `memo` maps the id of
    each dict and list copied to its copy, as deepcopy's does (an object met twice is copied
    once); a value of any other type goes to deepcopy itself."""
    cls = value.__class__
    if cls is dict or cls is list:
        found = memo.get(id(value))
        if found is not None:
            return found
        if cls is dict:
            out = memo[id(value)] = {}
            for key, item in value.items():
                out[deep_copy(key, memo) if key.__class__ not in _ATOMS else key] = (
                    item if item.__class__ in _ATOMS else deep_copy(item, memo))
            return out
        out = memo[id(value)] = []
        out.extend(item if item.__class__ in _ATOMS else deep_copy(item, memo) for item in value)
        return out
    return value if cls in _ATOMS else copy.deepcopy(value, memo)
