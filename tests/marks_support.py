"""Check a prefix-all rewrite against the original: every kept item's visible text carries the
mark, and nothing else changed (tests/test_marks.py, over every fixture and corpus capture).

The two bodies are compared as JSON trees. A difference is allowed only where an item's mark
target is (the string, with the prefix inserted once) or in the indexes that belong to that
text in the same object (facet byte offsets, entity indices, display_text_range, text_extra,
style runs, the first rich-text node), shifted by the prefix's length in some unit.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections import Counter
from collections.abc import Iterator

from feedlens import embedded
from feedlens.extract import locate
from feedlens.model import Provenance
from feedlens.profiles import MARK_ONLY

# One mark for every class, with what tends to break: a character outside the BMP (UTF-16
# surrogates, 4 UTF-8 bytes) and one HTML escapes.
PREFIX = "⟪𝕄&⟫ "
PROFILE = dataclasses.replace(MARK_ONLY, title_prefix="all", prefixes={p.value: PREFIX for p in Provenance})
FORMS = (PREFIX, html.escape(PREFIX, quote=False), html.escape(html.escape(PREFIX, quote=False), quote=False))
# what an index may move by: the prefix (as written) in code points, UTF-8 bytes, UTF-16 units
SHIFTS = {n for form in FORMS
          for n in (len(form), len(form.encode("utf-8")), len(form.encode("utf-16-le")) // 2)}
INDEX_KEYS = {"indices", "display_text_range", "byteStart", "byteEnd", "start", "end", "from_index",
              "to_index", "index", "startIndex"}
NO_TEXT = "no visible text in the data"


def documents(text: str, endpoint) -> list:
    """The JSON documents of a body: itself, or those embedded in an HTML page."""
    if endpoint.body != "html":
        return [json.loads(text)]
    return [embedded.decode(text, span) for span in embedded.find_spans(text, endpoint.embedded)]


def outside_spans(text: str, endpoint) -> list[str]:
    """An HTML page without its embedded documents: what must stay byte for byte."""
    if endpoint.body != "html":
        return []
    spans, out, last = embedded.find_spans(text, endpoint.embedded), [], 0
    for span in sorted(spans, key=lambda s: s.start):
        out.append(text[last:span.start])
        last = span.end
    return out + [text[last:]]


def tree_diff(a, b, path=()) -> Iterator[tuple[tuple, str]]:
    if type(a) is not type(b):
        yield path, "type"
    elif isinstance(a, dict):
        if a.keys() != b.keys():
            yield path, "keys"
            return
        for key in a:
            yield from tree_diff(a[key], b[key], path + (key,))
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path, "length"
            return
        for i, (x, y) in enumerate(zip(a, b)):
            yield from tree_diff(x, y, path + (i,))
    elif a != b:
        yield path, "value"


def paths_of(doc) -> dict[int, tuple]:
    """id(object) -> its path, for every dict and list of a document."""
    found, stack = {}, [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (dict, list)):
            found[id(node)] = path
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((value, path + (key,)) for key, value in pairs)
    return found


def get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def inserted_once(old: str, new: str) -> bool:
    return any(new.replace(form, "", 1) == old and form in new for form in FORMS)


def visible_start(markup: str, holder, key) -> str | None:
    """The text as the platform's client starts showing it (None: the mark is misplaced)."""
    value = holder[key]
    if markup == "html":
        if "<" not in value and value.lstrip().startswith("&lt;"):  # escaped once more (Reddit)
            value = html.unescape(value)
        at = value.find(FORMS[1])
        if at < 0 or len(re.findall(r"<a\b", value[:at], re.I)) != len(re.findall(r"</a>", value[:at], re.I)):
            return None  # missing, or inside a link or mention
        return html.unescape(re.sub(r"<[^>]*>", "", value)).lstrip()
    if markup == "entities":
        shown = holder.get("display_text_range")
        start = shown[0] if isinstance(shown, list) and len(shown) == 2 else 0
        text = value[start:]
        return text if text.startswith(PREFIX) else html.unescape(text)
    return value


def implied_markups(holder, old: str) -> set[str] | None:
    """The markups a text calls for by what sits beside it (its indexes) or by its look."""
    if isinstance(holder, dict):
        for key, markup in (("facets", "facets"), ("text_extra", "text_extra"),
                            ("rich_text_nodes", "rich_text"), ("display_text_range", "entities"),
                            ("entity_set", "entities")):
            if holder.get(key):
                return {markup}
        if any(k.endswith("Runs") and v for k, v in holder.items()):
            return {"attributed"}
    if re.match(r"\s*(<|&lt;)[a-zA-Z]", old):
        return {"html"}
    return None


@dataclasses.dataclass
class Report:
    failures: list[str] = dataclasses.field(default_factory=list)
    unmarked: Counter = dataclasses.field(default_factory=Counter)
    marked: int = 0


def check(endpoint, items, old_text: str, new_text: str | None) -> Report:
    """Compare a prefix-all rewrite (`new_text`; None: the engine changed nothing) with the
    original body whose items the engine read (`items`, all kept)."""
    report = Report()
    new_text = old_text if new_text is None else new_text
    if outside_spans(old_text, endpoint) != outside_spans(new_text, endpoint):
        report.failures.append("the page around the embedded data changed")
    olds, news = documents(old_text, endpoint), documents(new_text, endpoint)
    if len(olds) != len(news):
        return Report([f"{len(olds)} embedded documents became {len(news)}"])
    position = 0
    for old_doc, new_doc in zip(olds, news):
        old_locs, new_locs = locate(endpoint, old_doc), locate(endpoint, new_doc)
        if len(old_locs) != len(new_locs):
            report.failures.append(f"{len(old_locs)} items became {len(new_locs)}")
            continue
        _check_doc(old_doc, new_doc, old_locs, new_locs, items[position:position + len(old_locs)], report)
        position += len(old_locs)
    return report


def _check_doc(old_doc, new_doc, old_locs, new_locs, items, report: Report) -> None:
    where = paths_of(new_doc)
    allowed: dict[tuple, str] = {}  # path of a mark target's text -> markup
    holders: dict[tuple, str] = {}  # path of the object holding it -> markup
    for item, old_loc, new_loc in zip(items, old_locs, new_locs):
        label = f"item {item.position} ({item.id})"
        if new_loc.shape.unmarked:
            report.unmarked[new_loc.shape.unmarked] += 1
            continue
        if not new_loc.shape.marks:
            report.failures.append(f"{label}: its shape names no visible text (mark:)")
            continue
        first = True
        for target in new_loc.shape.marks:
            before, after = target.locate(old_loc.node), target.locate(new_loc.node)
            if before is None:
                continue
            implied = implied_markups(before[0], before[0][before[1]])
            if implied and target.markup not in implied:
                report.failures.append(f"{label}: {target.source} is {'/'.join(sorted(implied))}, "
                                       f"not {target.markup}")
            holder_path = where[id(after[0])]
            allowed[holder_path + (after[1],)] = target.markup
            holders[holder_path] = target.markup
            shown = visible_start(target.markup, after[0], after[1])
            if shown is None or not shown.startswith(PREFIX):
                report.failures.append(f"{label}: {target.source} does not start with the mark: "
                                       f"{after[0][after[1]][:80]!r}")
            elif first:
                report.marked += 1
            first = False
        if first:
            report.unmarked[NO_TEXT] += 1
    for path, kind in tree_diff(old_doc, new_doc):
        problem = _explain(path, kind, old_doc, new_doc, allowed, holders)
        if problem:
            report.failures.append(f"{_show(path)}: {problem}")


def _explain(path, kind, old_doc, new_doc, allowed, holders) -> str | None:
    """None when the difference belongs to a mark, else what is wrong with it."""
    old, new = get(old_doc, path), get(new_doc, path)
    if path in allowed:
        if kind == "value" and inserted_once(old, new):
            return None
        return f"not the mark inserted once: {old!r} -> {new!r}"
    holder = next((h for h in holders if path[:len(h)] == h), None)
    if holder is None:
        return f"changed outside every item's visible text ({kind})"
    rest = path[len(holder):]
    first_node = rest[:2] == ("rich_text_nodes", 0) and rest[2:] in (("text",), ("orig_text",))
    if holders[holder] == "rich_text" and first_node:
        return None if inserted_once(old, new) else f"first rich-text node: {old!r} -> {new!r}"
    if holders[holder] == "rich_text" and rest == ("rich_text_nodes",) and kind == "length":
        ok = new[1:] == old and new[0].get("text") in FORMS
        return None if ok else "rich-text nodes changed beyond a leading text node"
    names = {step for step in rest if isinstance(step, str)}
    if kind == "value" and names & INDEX_KEYS and isinstance(old, int) and new - old in SHIFTS:
        return None
    return f"{kind} change beside the visible text: {old!r} -> {new!r}"


def _show(path) -> str:
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".") or "(root)"
