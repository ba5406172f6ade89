"""Compiling a profile rule's `when:`/`unless:` conditions into predicates over items.

The schema (schema.py) has already checked the shape; what is left to refuse here is an unsafe
regex (textmatch.py) and an unknown phrase category (phrases.py), as exceptions the loader
(profiles.py) turns into `file:line` messages.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .model import Item
from .phrases import PhraseLibrary, library_for
from .textmatch import compile_regex, normalize

Predicate = Callable[[Item, datetime], bool]


def _as_set(value) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {str(v) for v in values}


def _in(attribute: str, value) -> Predicate:
    allowed, read = _as_set(value), operator.attrgetter(attribute)
    return lambda item, now: str(read(item)) in allowed


def _duration(bounds: dict) -> Predicate:
    """Within [min, max] seconds; an item whose duration the platform did not give never is."""
    low, high = bounds.get("min", 0), bounds.get("max")
    return lambda item, now: (item.duration_s is not None and item.duration_s >= low
                              and (high is None or item.duration_s <= high))


def _author(value) -> Predicate:
    wanted = _as_set(value)
    folded = {normalize(v) for v in wanted}
    return lambda item, now: (item.author_id in wanted or item.author in wanted
                              or normalize(item.author) in folded)


def _item_text(item: Item) -> str:
    parts = [item.title, item.text] + [p.get("text") for p in item.parts]
    return _normalized(" ".join(p for p in parts if p))


# An item's text is normalised once for all the keyword and regex rules that read it.
_normalized = functools.lru_cache(maxsize=1024)(normalize)


@dataclass(slots=True)
class PhraseCheck:
    """`phrases: {categories, threshold}`: some listed category scores at least threshold."""

    library: PhraseLibrary
    categories: frozenset[str]
    threshold: int

    def scores(self, item: Item) -> dict[str, int]:
        parts = [p.get("text") for p in item.parts]
        return self.library.score_fields(item.title, item.text, item.author, *parts)

    def fired(self, item: Item) -> tuple[str, int] | None:
        """The listed category with the highest score at or over the threshold."""
        hits = [(score, category) for category, score in self.scores(item).items()
                if category in self.categories and score >= self.threshold]
        if not hits:
            return None
        score, category = max(hits)
        return category, score

    def __call__(self, item: Item, now: datetime) -> bool:
        return self.fired(item) is not None


class PhraseSpecError(ValueError):
    pass


def phrase_check(value: dict, library: PhraseLibrary) -> PhraseCheck:
    categories, unknown = library.expand(value["categories"])
    if unknown:
        known = ", ".join(sorted(library.lists)) or "none"
        raise PhraseSpecError(f"unknown phrase categories {', '.join(unknown)} (known: {known})")
    return PhraseCheck(library, frozenset(categories), int(value["threshold"]))


def _keywords(value) -> Predicate:
    words = [normalize(w) for w in _as_set(value) if w]

    def holds(item: Item, now: datetime) -> bool:
        text = _item_text(item)  # once per item, not once per word
        return any(w in text for w in words)
    return holds


def _regex(value) -> Predicate:
    patterns = [compile_regex(p) for p in _as_set(value)]

    def holds(item: Item, now: datetime) -> bool:
        text = _item_text(item)
        return any(p.search(text) for p in patterns)
    return holds


def _labels(value) -> Predicate:
    wanted = _as_set(value)
    return lambda item, now: bool(wanted.intersection(item.labels))


_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _time(value: str) -> Predicate:
    h1, m1, h2, m2 = map(int, _TIME.match(value).groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2

    def within(item: Item, now: datetime) -> bool:
        minute = now.hour * 60 + now.minute
        return start <= minute < end if start <= end else (minute >= start or minute < end)
    return within


def compile_condition(spec: dict, library: Callable[[], PhraseLibrary] = lambda: library_for(None)
                      ) -> Predicate:
    checks: list[Predicate] = []
    for key in ("provenance", "platform", "surface", "kind", "format", "relation", "endpoint"):
        if key in spec:
            checks.append(_in(key, spec[key]))
    if "duration_s" in spec:
        checks.append(_duration(spec["duration_s"]))
    if "author" in spec:
        checks.append(_author(spec["author"]))
    if "keywords" in spec:
        checks.append(_keywords(spec["keywords"]))
    if "regex" in spec:
        checks.append(_regex(spec["regex"]))
    if "labels" in spec:
        checks.append(_labels(spec["labels"]))
    if "time" in spec:
        checks.append(_time(spec["time"]))
    if "phrases" in spec:  # after the cheaper field tests
        checks.append(phrase_check(spec["phrases"], library()))
    if "any" in spec:
        alternatives = [compile_condition(sub, library) for sub in spec["any"]]
        checks.append(lambda item, now: any(a(item, now) for a in alternatives))
    if "not" in spec:
        negated = compile_condition(spec["not"], library)
        checks.append(lambda item, now: not negated(item, now))
    return _all(checks)


def _all(checks: list[Predicate]) -> Predicate:
    """Every check, in order, stopping at the first that fails (one call for one check)."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda item, now: first(item, now) and second(item, now)
    return lambda item, now: all(check(item, now) for check in checks)


def rule_predicate(spec: dict, library: Callable[[], PhraseLibrary]) -> Predicate:
    when = compile_condition(spec.get("when", {}), library)
    if "unless" not in spec:
        return when
    unless = compile_condition(spec["unless"], library)
    return lambda item, now: when(item, now) and not unless(item, now)


def library_loader(path: str) -> Callable[[], PhraseLibrary]:
    """Loads the phrase library on first use only (most profiles have no phrases rule)."""
    loaded: list[PhraseLibrary] = []

    def get() -> PhraseLibrary:
        if not loaded:
            loaded.append(library_for(path))
        return loaded[0]
    return get
