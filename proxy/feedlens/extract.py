"""Find the items in a parsed feed document, read their fields and decide their provenance."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from .adapters import Endpoint, ItemShape, ProvenanceRule
from .item_format import FacetRule, FormatMemory, Seen, to_seconds
from .itemplan import plan_for
from .jmes import Expr, get_steps, summarize
from .model import Evidence, Item, Provenance
from .session import NO_CONTEXT


@dataclass(slots=True)
class Located:
    """An item node and where it sits.

    `element` is the list element to remove when the item is hidden. It is None when that
    element also holds other items (e.g. a masthead ad sitting beside the whole grid); then
    only `holder[key]`, the item itself, is removed.
    """

    node: dict
    container: list | None
    element: object
    shape: ItemShape
    type: str | None
    holder: dict | None = None
    key: str | None = None
    context: dict | None = None
    # items.remove_emptied: the nearest enclosing list element that goes too once every item
    # found inside it is hidden (an X conversation module), as (its list, the element)
    group: tuple[list, dict] | None = None


def locate(endpoint: Endpoint, doc) -> list[Located]:
    if endpoint.find:
        return _find(doc, endpoint.find, endpoint.context, endpoint.remove_emptied)
    return list(_from_containers(endpoint, doc))


def item_ids(endpoint: Endpoint, doc) -> list[str]:
    """The ids of the items this endpoint finds in a parsed document, read as build_item reads
    them (the counterfactual check compares a paired fetch's items with the user's)."""
    ids = (to_text(loc.shape.fields["id"].search(loc.node)) if "id" in loc.shape.fields else None
           for loc in locate(endpoint, doc))
    return [i for i in ids if i is not None]


def _from_containers(endpoint: Endpoint, doc) -> Iterator[Located]:
    shape = endpoint.shape
    for expr in endpoint.containers:
        for container in _innermost_lists(expr.search(doc)):
            for element in container:
                if isinstance(element, dict) and not (shape.skip and shape.skip.holds(element)):
                    yield Located(element, container, element, shape, None)


def _innermost_lists(value) -> Iterator[list]:
    """Nested projections (a[*].b[*].c) give lists of lists: the innermost are the containers."""
    if not isinstance(value, list):
        return
    if value and all(isinstance(v, list) or v is None for v in value):
        for inner in value:
            yield from _innermost_lists(inner)
    else:
        yield value


def _find(doc, find: dict[str, ItemShape], context_exprs: dict, emptied: Expr | None = None) -> list[Located]:
    """Depth-first walk; a dict holding a find key is an item and is not descended into.

    Each stack entry carries the nearest list and its element on the way down, the chain of
    outer elements (to spot elements that hold other items), the context read so far
    (e.g. the title of the enclosing shelf) and the nearest enclosing element that matches
    `emptied` (items.remove_emptied).
    """
    found: list[Located] = []
    compound: set[int] = set()
    keys = find.keys()
    stack: list[tuple] = [(doc, None, None, (), None, None)]
    pop, push = stack.pop, stack.extend
    while stack:
        node, container, element, outer, context, group = pop()
        if isinstance(node, dict):
            if not keys.isdisjoint(node):  # the first of its keys that is a find key, in its order
                hit = next(key for key in node if key in find)
                _found_item(node, hit, find[hit], container, element, context, found,
                            group if group is not None and group[1] is not element else None)
                compound.update(outer)
                continue
            if emptied is not None and node is element and emptied.holds(node):
                group = (container, node)
            if context_exprs:
                context = _read_context(node, context_exprs, context)
            push([(v, container, element, outer, context, group)
                  for v in reversed(node.values()) if isinstance(v, (dict, list))])
        elif isinstance(node, list):
            chain = outer + (id(element),) if element is not None else outer
            push([(v, node, v, chain, context, group) for v in reversed(node) if isinstance(v, (dict, list))])
    for located in found:
        if id(located.element) in compound:
            located.element = located.container = None
    return found


def _found_item(holder: dict, key: str, shape: ItemShape, container, element, context, found,
                group=None) -> None:
    inner = holder[key]
    if isinstance(inner, dict) and container is not None and not (shape.skip and shape.skip.holds(inner)):
        found.append(Located(inner, container, element, shape, key, holder, key, context, group))


def _read_context(node: dict, exprs: dict, context: dict | None) -> dict | None:
    if not exprs or exprs.keys().isdisjoint(node):
        return context
    for key in exprs.keys() & node.keys():
        value = exprs[key].search(node[key])
        if value is not None:
            context = {**(context or {}), key: value}
    return context


def to_text(value) -> str | None:
    if value.__class__ is str:
        return value
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


_TAG = re.compile(r"<[^>]*>")


def to_plain(value) -> str | None:
    """Text without markup: search results highlight keywords with <em> tags."""
    text = to_text(value)
    if text and "<" in text:
        text = _TAG.sub("", text)
    if text and "&" in text:
        text = html.unescape(text)
    return text


_TIME_FORMATS = ("%a %b %d %H:%M:%S %z %Y",)  # X's legacy.created_at


def to_unix(value) -> int | None:
    """Unix seconds from seconds, milliseconds, a numeric string or an ISO 8601 string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        return int(seconds / 1000) if seconds > 1e11 else int(seconds)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return to_unix(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def decide_provenance(endpoint: Endpoint, located: Located,
                      request: dict | None = None) -> tuple[ProvenanceRule, list[Evidence], str | None]:
    """The first rule that holds. `request` is the request context (Request.context_for), which
    a rule's `request:` condition tests; without one those rules do not hold."""
    node = located.node
    for rule in endpoint.provenance:
        if rule.type is not None and rule.type != located.type:
            continue
        if rule.context is not None and not rule.context.holds(located.context or {}):
            continue
        if rule.request is not None and not rule.request.holds(request or {}):
            continue
        if rule.is_default or rule.when is None or rule.when.holds(node):
            return rule, _evidence(endpoint, rule, located, request), _reason(rule, node)
    raise AssertionError("adapters always end with a default rule")


_PROVENANCE = {p.value: p for p in Provenance}


def _reason(rule: ProvenanceRule, node: dict) -> str | None:
    if rule.reason is None:
        return None
    value = rule.reason.search(node)
    text = to_text(value)
    return text or None


def _evidence(endpoint: Endpoint, rule: ProvenanceRule, located: Located, request: dict | None) -> list[Evidence]:
    evidence = []
    if rule.type is not None:
        evidence.append(_fact("type", rule.type))
    if rule.request is not None:
        evidence.extend(_fact(f"request.{text}", summarize(get_steps(request, steps)[1]), "request")
                        for text, steps in rule.request.paths)
    elif _asks_request(endpoint) and not ((request or {}).get("session") or {}).get("known"):
        # The endpoint would have asked the request, but there was none (an offline body).
        evidence.append(_fact("request", NO_CONTEXT, "request"))
    if rule.context is not None:
        evidence.extend(_fact(f"context.{text}", summarize(get_steps(located.context, steps)[1]), "context")
                        for text, steps in rule.context.paths)
    if rule.when is not None:
        # Record the paths that had a value; a rule of many alternatives names mostly absent ones.
        observed = list(zip([text for text, _ in rule.when.paths], rule.when.path_values(located.node)))
        present = [(t, v) for t, v in observed if v is not None] or observed[:1]
        evidence.extend(_fact(t, summarize(v)) for t, v in present)
    if rule.is_default or rule.request is not None:  # the surface decided (with the request)
        evidence.append(_fact("endpoint", endpoint.key, "endpoint"))
        if rule.why:
            evidence.append(_fact("why", rule.why, "endpoint"))
    return evidence


# Evidence is immutable and mostly the same few facts (`type: ad`, the endpoint, a rule's why):
# items share one object per fact instead of building it anew (a frozen dataclass is slow to make).
_FACTS: dict[tuple, Evidence] = {}


def _fact(path: str, value, source: str = "item") -> Evidence:
    if value.__class__ not in _SHARED_VALUES:  # a float (-0.0 equals 0.0), an object
        return Evidence(path=path, value=value, source=source)
    key = (path, value.__class__, value, source)  # the class: 1 and true are equal keys
    found = _FACTS.get(key)
    if found is None:
        if len(_FACTS) >= 8192:
            _FACTS.clear()
        found = _FACTS[key] = Evidence(path=path, value=value, source=source)
    return found


_SHARED_VALUES = {str, int, bool, type(None)}


def _asks_request(endpoint: Endpoint) -> bool:
    return any(rule.request is not None for rule in endpoint.provenance)


def build_item(endpoint: Endpoint, located: Located, position: int, request: dict | None = None,
               formats: FormatMemory | None = None) -> Item:
    shape, node = located.shape, located.node
    values, index, fmt_index, rel_index, labels = plan_for(endpoint, shape)(
        node, located.type, located.context, request)
    if values is None:  # an expression raised: each field alone (None for that one)
        values = {name: expr.search(node) for name, expr in shape.fields.items()}
    if index < 0:
        raise AssertionError("adapters always end with a default rule")
    rule = endpoint.provenance[index]
    evidence, reason = _evidence(endpoint, rule, located, request), _reason(rule, node)
    provenance, confidence, rule_id = _PROVENANCE.get(rule.provenance) or Provenance(rule.provenance), rule.confidence, f"{endpoint.name}#{rule.index + 1}"
    own = own_evidence(endpoint, values, request) if provenance is not Provenance.PROMOTED else None
    if own is not None:  # precedence 2: after ads, before every per-item or surface signal
        provenance, confidence, rule_id = Provenance.OWN, 0.95, f"{endpoint.name}#own"
        evidence, reason = own, None
    if rule.label and rule.label not in labels:
        labels.append(rule.label)
    item = Item(
        platform=endpoint.platform,
        endpoint=endpoint.name,
        surface=endpoint.surface,
        position=position,
        id=to_text(values.get("id")),
        kind=to_text(values.get("kind")) or shape.kind,
        provenance=provenance,
        author_id=to_text(values.get("author_id")),
        author=to_text(values.get("author")),
        title=to_plain(values.get("title")),
        text=to_plain(values.get("text")),
        url=to_text(values.get("url")),
        published=to_unix(values.get("published")),
        reason=reason,
        evidence=evidence,
        confidence=confidence,
        rule=rule_id,
        labels=labels,
        pack=" ".join(endpoint.pack) if endpoint.pack[0] else None,
    )
    fmt, relation = shape.format.rules[fmt_index], shape.relation.rules[rel_index]
    item.format, item.format_why = fmt.value, fmt.why
    item.relation, item.relation_why = relation.value, relation.why
    if formats is not None and endpoint.recalls_formats and item.id is not None:
        _recall_or_remember(formats, item, fmt)
    if "duration" in values or "duration_ms" in values:
        item.duration_s = _duration(values)
    if endpoint.parts is not None:
        item.parts = _parts(endpoint, node)
    return item


def _recall_or_remember(formats: FormatMemory, item: Item, rule: FacetRule) -> None:
    """The same item, the same format on every surface: a known format is remembered; an
    unknown one that may be recalled takes what the item was where it was seen with one."""
    if item.format != "unknown":
        formats.remember(item.platform, item.id, Seen(item.format, item.surface, item.format_why))
    elif rule.recall and (seen := formats.recall(item.platform, item.id)) is not None:
        item.format = seen.format
        item.format_why = f"seen as {seen.format} on {seen.surface}: {seen.why}"


def _duration(values: dict) -> int | None:
    seconds = to_seconds(values.get("duration"))
    return seconds if seconds is not None else to_seconds(values.get("duration_ms"), "ms")


def own_evidence(endpoint: Endpoint, values: dict, request: dict | None) -> list[Evidence] | None:
    """The viewer wrote or reposted the item (provenance.md, precedence 2): its author or its
    reposter is the viewer, whose id the request told (viewer.py). None when not, or unknown."""
    viewer = (request or {}).get("viewer")
    spec = endpoint.session.viewer if endpoint.session is not None else None
    if not viewer or spec is None:
        return None
    for field_name in ("author_id", "reposted_by_id"):
        if to_text(values.get(field_name)) == viewer:
            return [Evidence(path=field_name, value=viewer),
                    Evidence(path="request.viewer", value=f"the viewer, from the {spec.source}",
                             source="request"),
                    Evidence(path="why", value="the viewer's own post" if field_name == "author_id"
                             else "the viewer's own repost", source="endpoint")]
    return None


def _parts(endpoint: Endpoint, node: dict) -> list[dict]:
    path, fields = endpoint.parts
    found = path.search(node)
    if not isinstance(found, list):
        return []
    return [{name: to_text(expr.search(part)) for name, expr in fields.items()}
            for part in found if isinstance(part, dict)]
