"""Safe YAML loading that remembers the line of every key, for `file:line` messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps and dates as the strings the author wrote."""


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


def parse(text: str, path: str = "<string>") -> Source:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
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


def load(path: str | Path) -> Source:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(f"{path}:1: cannot read: {exc}") from None
    return parse(text, str(path))
