"""Safe YAML loading that remembers the line of every key, for `file:line` messages.

The one YAML loader for every document, bundled or the user's. Everywhere: keys are strings,
a key appears once per mapping (a second `locked:` must never silently win), nesting is at
most MAX_DEPTH levels. Aliases (`&name` / `*name`): our adapters and the packs' use them
(trusted data, shared parts of an adapter), so `aliases=True` allows them but bounds what they
expand to (MAX_NODES nodes, as if every alias were written out; no recursive ones), which
stops a "billion laughs" document before anything walks it. Profiles, My rules and whatever
the service or the CLI receive need none: `aliases=False` refuses them outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


MAX_DEPTH = 100  # levels of nesting, aliases expanded
MAX_NODES = 200_000  # nodes of the document with every alias expanded (a big adapter: ~5,000)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps and dates as the strings the author wrote, refuses
    nesting deeper than MAX_DEPTH while composing (before Python recursion could fail) and,
    unless `allow_aliases`, every anchor and alias."""

    def __init__(self, text: str, allow_aliases: bool = True):
        super().__init__(text)
        self.allow_aliases = allow_aliases
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if not self.allow_aliases and (isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)):
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (&name, *name) are not "
                                              "allowed in this file", event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# Dates like 2027-01-01 stay strings: the schema and the rule compiler parse them explicitly.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Source:
    """Parsed YAML data plus the line (1-based) of every path inside it."""

    path: str
    data: object
    lines: dict[tuple, int] = field(default_factory=dict)

    def line(self, where: tuple | list = ()) -> int:
        """Line of `where`, or of its nearest ancestor that has one."""
        where = tuple(where)
        while where and where not in self.lines:
            where = where[:-1]
        return self.lines.get(where, 1)

    def at(self, where, message: str) -> str:
        return f"{self.path}:{self.line(where)}: {message}"


class YamlError(ValueError):
    """A file that is not valid YAML; the message is `file:line: what is wrong`."""


def _record_lines(node: yaml.Node, where: tuple, lines: dict[tuple, int]) -> None:
    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[where + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, where + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            lines[where + (index,)] = child.start_mark.line + 1
            _record_lines(child, where + (index,), lines)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_keys(node: yaml.MappingNode) -> None:
    """Keys are plain strings, each once (a `<<` merge key is YAML's own and may repeat)."""
    seen: set[str] = set()
    for key, _ in node.value:
        if key.tag == _MERGE:
            continue
        if not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
            shown = f"{key.value!r} (quote it)" if isinstance(key, yaml.ScalarNode) else "a mapping or list"
            raise yaml.MarkedYAMLError(None, None, f"a key must be a string, not {shown}", key.start_mark)
        if key.value in seen:
            raise yaml.MarkedYAMLError(None, None, f"duplicate key {key.value!r}", key.start_mark)
        seen.add(key.value)


def _check_tree(root: yaml.Node) -> None:
    """Check every mapping's keys, and the size and depth of the document as it would be with
    every alias written out. Iterative and memoized per node, so shared (aliased) parts cost
    once here however many times they would expand."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_NODES:
                raise yaml.MarkedYAMLError(None, None, f"expands to more than {MAX_NODES} nodes "
                                           "(aliases written out)", node.start_mark)
            if depth[key] > MAX_DEPTH:
                raise yaml.MarkedYAMLError(None, None, f"nested deeper than {MAX_DEPTH} levels "
                                           "(aliases written out)", node.start_mark)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise yaml.MarkedYAMLError(None, None, "an alias refers to a node that contains it",
                                       node.start_mark)
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in size)


def parse(text: str, path: str = "<string>", *, aliases: bool = True) -> Source:
    """`aliases=False` for documents that need none (profiles, anything a user submits)."""
    try:
        loader = _Loader(text, aliases)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_tree(node)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlError(f"{path}:{line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{path}:1: invalid YAML: {exc}") from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return Source(path=path, data=data, lines=lines)


def data(text: str, path: str = "<string>") -> object:
    """Just the data of a user's document (no aliases), for code that needs no lines."""
    return parse(text, path, aliases=False).data


def load(path: str | Path) -> Source:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(f"{path}:1: cannot read: {exc}") from None
    return parse(text, str(path))
