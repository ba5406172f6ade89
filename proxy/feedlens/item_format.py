"""What an item is, beside why it is there: its `format` and its `relation` (docs/format.md).

Two closed vocabularies with one meaning on every platform. An adapter declares them per
endpoint, per `items.find` entry or once at its top level, as a constant or as rules read in
order (the first whose `when` holds), ending in a default:

    format: video                                   # every item of this shape
    format:
      - {when: "reelWatchEndpoint != null", is: short_video}
      - {when: "badges[?label == 'LIVE']", is: live}
      - {default: video}
    relation:
      - {when: "reblog != null", is: repost}
      - {default: original}
    format: {unknown: "the card does not say whether it is a clip or a story"}

`unknown` always carries its reason (`why`): a value the data cannot tell is never guessed.
Promoted is provenance, not format: an ad gets the format of what it shows.

`recall: true` on an unknown format lets the item take the format the same item (platform and
id) had where feedlens last saw it with one: a Bilibili video is vertical on the popular list,
which gives its dimension, and stays a short video in search, whose cards do not (FormatMemory).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .jmes import Expr

FORMATS = ("short_video", "video", "live", "upcoming", "image", "text", "article", "audio",
           "link", "poll", "unknown")
RELATIONS = ("original", "repost", "reply", "quote", "unknown")
FACETS = {"format": FORMATS, "relation": RELATIONS}
# What an item gets when nothing in its adapter says (tests/test_formats.py keeps it unused).
UNDECLARED = "the adapter does not say"


@dataclass(frozen=True, slots=True)
class FacetRule:
    value: str
    when: Expr | None  # None: the default
    why: str  # the signal that decided, for the why-overlay: the rule's `why` or its condition
    recall: bool = False  # unknown here: take the format this item had where it was seen with one


@dataclass(frozen=True, slots=True)
class Facet:
    """The rules of one facet (format or relation) for one item shape."""

    rules: tuple[FacetRule, ...]

    def decide(self, node: dict) -> FacetRule:
        for rule in self.rules:
            if rule.when is None or rule.when.holds(node):
                return rule
        return self.rules[-1]

    @property
    def constant(self) -> FacetRule | None:
        return self.rules[0] if len(self.rules) == 1 and self.rules[0].when is None else None


def undeclared() -> Facet:
    return Facet((FacetRule("unknown", None, UNDECLARED),))


# JSON Schema of one facet's declaration (schema_adapter.py puts it at the three places).
def facet_schema(values: tuple[str, ...]) -> dict:
    known = [v for v in values if v != "unknown"]
    rule = {
        "type": "object",
        "properties": {"when": {"type": "string", "minLength": 1}, "is": {"enum": list(values)},
                       "default": {"enum": list(values)}, "why": {"type": "string", "minLength": 1},
                       "recall": {"type": "boolean"}},
        "additionalProperties": False,
        "oneOf": [{"required": ["when", "is"], "not": {"required": ["default"]}},
                  {"required": ["default"], "not": {"anyOf": [{"required": ["when"]}, {"required": ["is"]}]}}],
    }
    return {"oneOf": [
        {"enum": known},
        {"type": "object", "required": ["unknown"], "additionalProperties": False,
         "properties": {"unknown": {"type": "string", "minLength": 1}, "recall": {"type": "boolean"}}},
        {"type": "array", "minItems": 1, "items": rule},
    ]}


def compile_facet(name: str, spec, expr, error, where: tuple) -> Facet:
    """A facet from its schema-valid declaration; `expr(text, where)` compiles a condition and
    `error(where, text)` records what the schema cannot say (a default that is not last, an
    `unknown` without its reason)."""
    if isinstance(spec, str):
        return Facet((FacetRule(spec, None, f"{name}: {spec}"),))
    if isinstance(spec, dict):
        return Facet((FacetRule("unknown", None, spec["unknown"], bool(spec.get("recall"))),))
    rules = []
    for index, entry in enumerate(spec):
        spot = where + (index,)
        if "default" in entry:
            if index != len(spec) - 1:
                error(spot, f"a default {name} must be the last rule")
            value = entry["default"]
            rules.append(FacetRule(value, None, entry.get("why") or f"{name}: {value}",
                                   bool(entry.get("recall"))))
        else:
            value = entry["is"]
            rules.append(FacetRule(value, expr(entry["when"], spot + ("when",)),
                                   entry.get("why") or entry["when"], bool(entry.get("recall"))))
        if value == "unknown" and "why" not in entry:
            error(spot, f"{name} unknown needs `why`: what the data cannot tell")
        if entry.get("recall") and (value != "unknown" or name != "format"):
            error(spot, "`recall` is for an unknown format: it takes the format the item had elsewhere")
    if rules and rules[-1].when is not None:
        error(where, f"the last {name} rule must be a default")
        rules.append(FacetRule("unknown", None, UNDECLARED))
    return Facet(tuple(rules))


@dataclass(frozen=True, slots=True)
class Seen:
    format: str
    surface: str
    why: str


class FormatMemory:
    """The formats of items seen with one, by (platform, id), most recent last: an item whose
    format a surface cannot tell (`recall: true`) takes the one it had elsewhere. Bounded:
    the oldest go first."""

    def __init__(self, capacity: int = 20_000):
        self.capacity = capacity
        self._seen: OrderedDict[tuple[str, str], Seen] = OrderedDict()

    def remember(self, platform: str, item_id: str, seen: Seen) -> None:
        key = (platform, item_id)
        self._seen[key] = seen
        self._seen.move_to_end(key)
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def recall(self, platform: str, item_id: str) -> Seen | None:
        return self._seen.get((platform, item_id))

    def __len__(self) -> int:
        return len(self._seen)


def to_seconds(value, unit: str = "s") -> int | None:
    """Seconds from a number (in `unit`: s or ms) or a clock text ("3:45", "1:02:03", "03:45")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value / 1000) if unit == "ms" else int(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return to_seconds(float(text), unit)
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        return seconds
    return None
