"""Where an item's mark (a profile's prefix, a rule's label text) is written, and how.

An adapter names, per endpoint or per `items.find` shape, the visible text of an item
(`mark:`, docs/adapters.md): one or more targets, each a path to a string and the markup the
platform writes that string in. Writing a mark inserts the prefix where the platform's own
client starts showing the text and shifts whatever indexes into it (Bluesky facets, X entity
indices, Douyin text_extra, YouTube style runs), so links and mentions stay on their
characters. Nothing else is touched: never an id, a URL, a handle or a cursor. A mark is
written once: a text that already starts with it is left as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .jmes import Expr, get_steps, path_steps
from .jmesfast import compile_functions

FIELDS = ("title", "text")
# Nodes that build new objects: a path through them would write into a copy.
_COPYING = {"function_expression", "multi_select_dict", "multi_select_list", "key_val_pair"}


@dataclass(slots=True)
class MarkTarget:
    """One visible text: `node` selects the object the paths start from (None: the item),
    `paths` are alternatives (the first one that holds a non-empty string is the text)."""

    source: str
    node: _Select | None
    paths: list[list]
    markup: str
    # each path as (the steps to its holder, its last step), split once
    splits: list[tuple[list, str | int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.splits = [(steps[:-1], steps[-1]) for steps in self.paths]

    def locate(self, item: dict) -> tuple[dict | list, str | int] | None:
        """(the object holding the text, its key), or None when the item shows no text here."""
        start = self.node.search(item) if self.node is not None else item
        for head, last in self.splits:
            found, holder = get_steps(start, head) if head else (True, start)
            if not found:
                continue
            if isinstance(last, int):
                ok = isinstance(holder, list) and -len(holder) <= last < len(holder)
            else:
                ok = isinstance(holder, dict) and last in holder
            if ok and isinstance(value := holder[last], str) and value.strip():
                return holder, last
        return None


def strict_alternatives(ast: dict) -> list[list] | None:
    """The pure paths of `a || b || c` when every alternative is one, else None."""
    if ast["type"] == "or_expression":
        left, right = (strict_alternatives(child) for child in ast["children"])
        return left + right if left is not None and right is not None else None
    steps = path_steps(ast)
    return [steps] if steps else None


def split_target(ast: dict) -> tuple[dict | None, list[list]] | None:
    """A writable expression: pure path alternatives, reached from the item directly or
    through any expression that selects an object of the document (`(reblog || @).content`,
    `tweet_results.result | tweet || @ | legacy.full_text`). Returns (that expression's AST
    or None, the alternatives), or None when the expression cannot be written to."""
    paths = strict_alternatives(ast)
    if paths is not None:
        return None, paths
    if ast["type"] in ("pipe", "subexpression", "index_expression") and len(ast["children"]) == 2:
        left, right = ast["children"]
        paths = strict_alternatives(right)
        if paths is not None and not _copies(left):
            return left, paths
    return None


def _copies(ast: dict) -> bool:
    return ast["type"] in _COPYING or any(
        _copies(child) for child in ast.get("children", []) if isinstance(child, dict))


def compile_target(expr: Expr, markup: str) -> MarkTarget | None:
    split = split_target(expr.ast)
    if split is None:
        return None
    node, paths = split
    return MarkTarget(expr.source, _Select(node) if node is not None else None, paths, markup)


class _Select:
    """The object-selecting part of a target, compiled from its part of the parsed AST."""

    __slots__ = ("search",)

    def __init__(self, ast: dict):
        self.search = compile_functions(ast)[1]  # None where jmespath would raise


def write(item: dict, targets: list[MarkTarget], prefix: str) -> bool:
    """Write the prefix into every visible text of the item; returns whether anything changed."""
    changed = False
    for target in targets:
        found = target.locate(item)
        if found is not None:
            changed |= MARKUPS[target.markup](found[0], found[1], prefix)
    return changed


# -- markups: (the object holding the text, its key, the prefix) -> changed ------------------

def _plain(holder, key, prefix: str) -> bool:
    old = holder[key]
    if old.startswith(prefix):
        return False
    holder[key] = prefix + old
    return True


_BLOCK = r"(?:p|div|blockquote|li|ul|ol|h[1-6]|section|article|header|main|figure|figcaption|pre)"
_OPENERS = re.compile(r"\s*<" + _BLOCK + r"\b[^<>]*>", re.I)
_ESCAPED_OPENERS = re.compile(r"\s*&lt;" + _BLOCK + r"\b(?:(?!&[lg]t;).)*?&gt;", re.I | re.S)


def is_escaped_html(text: str) -> bool:
    """HTML escaped once more, as Reddit's body_html is unless the client asks raw_json=1."""
    return "<" not in text and text.lstrip().startswith("&lt;")


def html_start(text: str, escaped: bool = False) -> int:
    """Where the text of HTML starts: after the opening tags of the leading block elements
    (`<p>`, `<div class="md"><p>`), before any inline element, so the mark sits inside the
    first paragraph and never inside a link or a mention."""
    pattern, position = (_ESCAPED_OPENERS if escaped else _OPENERS), 0
    while (found := pattern.match(text, position)) is not None:
        position = found.end()
    return position


def _html(holder, key, prefix: str) -> bool:
    text, mark = holder[key], html.escape(prefix, quote=False)
    escaped = is_escaped_html(text)
    if escaped:
        mark = html.escape(mark, quote=False)
    start = html_start(text, escaped)
    if text.startswith(mark, start):
        return False
    holder[key] = text[:start] + mark + text[start:]
    return True


def _facets(holder, key, prefix: str) -> bool:
    """Bluesky rich text: facets index the UTF-8 bytes of the text."""
    if not _plain(holder, key, prefix):
        return False
    shift = len(prefix.encode("utf-8"))
    for facet in _dicts(holder.get("facets")):
        index = facet.get("index")
        if isinstance(index, dict):
            _shift_keys(index, ("byteStart", "byteEnd"), shift)
    return True


def _entities(holder, key, prefix: str) -> bool:
    """X: a tweet's `legacy.full_text` (HTML-escaped; shown from display_text_range[0], after
    the mentions a reply starts with) or a long tweet's note text (not escaped, entity_set).
    Entity indices count code points of the text as sent."""
    text = holder[key]
    note = "entity_set" in holder
    mark = prefix if note else html.escape(prefix, quote=False)
    shown = holder.get("display_text_range")
    start = shown[0] if _pair(shown) and 0 <= shown[0] <= len(text) else 0
    if text.startswith(mark, start):
        return False
    holder[key] = text[:start] + mark + text[start:]
    shift = len(mark)
    if _pair(shown) and shown[1] >= start:
        shown[1] += shift
    for group in ("entities", "extended_entities", "entity_set"):
        lists = holder.get(group)
        for entities in (lists.values() if isinstance(lists, dict) else ()):
            for entity in _dicts(entities):
                indices = entity.get("indices")
                if _pair(indices) and indices[0] >= start:
                    indices[0] += shift
                    indices[1] += shift
    for tag in _dicts(_inner(holder, "richtext", "richtext_tags")):
        _shift_keys(tag, ("from_index", "to_index"), shift, start)
    for media in _dicts(_inner(holder, "media", "inline_media")):
        _shift_keys(media, ("index",), shift, start)
    return True


def _text_extra(holder, key, prefix: str) -> bool:
    """Douyin: `text_extra` (hashtags, mentions) indexes the text by `start`/`end`, in
    characters as the apps count them (UTF-16 code units)."""
    if not _plain(holder, key, prefix):
        return False
    for extra in _dicts(holder.get("text_extra")):
        _shift_keys(extra, ("start", "end"), utf16_length(prefix))
    return True


def _attributed(holder, key, prefix: str) -> bool:
    """YouTube attributed strings ({content, styleRuns, commandRuns, …}): runs start at
    `startIndex`, in UTF-16 code units of `content`."""
    if not _plain(holder, key, prefix):
        return False
    for name, runs in list(holder.items()) if isinstance(holder, dict) else ():
        if name.endswith("Runs"):
            for run in _dicts(runs):
                _shift_keys(run, ("startIndex",), utf16_length(prefix))
    return True


_TEXT_NODE = "RICH_TEXT_NODE_TYPE_TEXT"


def _rich_text(holder, key, prefix: str) -> bool:
    """Bilibili dynamics: `desc.text` and the `rich_text_nodes` the clients render from. The
    first node carries the prefix when it is text; before a mention, an emoji or a topic a
    text node of its own is put in front."""
    if not _plain(holder, key, prefix):
        return False
    nodes = holder.get("rich_text_nodes")
    if isinstance(nodes, list):
        first = nodes[0] if nodes and isinstance(nodes[0], dict) else None
        if first is not None and first.get("type") == _TEXT_NODE and isinstance(first.get("text"), str):
            for name in ("text", "orig_text"):
                if isinstance(first.get(name), str):
                    first[name] = prefix + first[name]
        else:
            nodes.insert(0, {"orig_text": prefix, "text": prefix, "type": _TEXT_NODE})
    return True


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _pair(value) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value))


def _inner(holder: dict, name: str, key: str):
    value = holder.get(name)
    return value.get(key) if isinstance(value, dict) else None


def _dicts(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _shift_keys(node: dict, keys: tuple[str, ...], shift: int, at_or_after: int = 0) -> None:
    for name in keys:
        value = node.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= at_or_after:
            node[name] = value + shift


MARKUPS: dict[str, Callable[[dict | list, str | int, str], bool]] = {
    "plain": _plain,
    "html": _html,
    "facets": _facets,
    "entities": _entities,
    "text_extra": _text_extra,
    "attributed": _attributed,
    "rich_text": _rich_text,
}


def from_spec(spec, fields: dict[str, Expr], expr: Callable[[str, tuple], Expr | None],
              error: Callable[[tuple, str], None], where: tuple) -> tuple[list[MarkTarget], str | None]:
    """A shape's targets and, for `mark: {none: why}`, why it has none. Without `mark:` the
    title field is the visible text when the shape has one, else the text field."""
    if spec is None:
        name = next((n for n in FIELDS if n in fields), None)
        target = compile_target(fields[name], "plain") if name else None
        return ([target] if target is not None else []), None
    if isinstance(spec, dict) and "none" in spec:
        return [], spec["none"]
    targets = []
    for index, entry in enumerate(spec if isinstance(spec, list) else [spec]):
        spot = where + (index,) if isinstance(spec, list) else where
        if "field" in entry:
            source = fields.get(entry["field"])
            if source is None:
                error(spot + ("field",), f"mark field {entry['field']!r}: the item has no such field")
                continue
        else:
            source = expr(entry["path"], spot + ("path",))
            if source is None:
                continue
        target = compile_target(source, entry.get("markup", "plain"))
        if target is None:
            error(spot, (f"mark {source.source!r} cannot be written to: it must end in a path "
                         "(or `a || b` of paths), reached without functions or multi-selects"))
            continue
        targets.append(target)
    return targets, None
