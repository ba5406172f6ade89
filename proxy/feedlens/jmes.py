"""JMESPath helpers: compile once, evaluate without raising, and read an expression's AST."""

from __future__ import annotations

import functools

import json
import re
from typing import Any

import jmespath
from jmespath import exceptions as jexc

from .jmesfast import ERRORS, compile_block, compile_functions, path_steps

_PATH_NODES = {"field", "subexpression", "index_expression", "index", "current", "identity"}
_CONTAINER_NODES = _PATH_NODES | {"projection"}
_OPTIONS = jmespath.Options(dict_cls=dict)


class Expr:
    """A compiled JMESPath expression that never raises when evaluated: `search(data)` (None
    where jmespath would raise) and `holds(data)` (the value is not JMESPath-false) are
    generated Python functions (jmesfast.py)."""

    __slots__ = ("source", "_compiled", "search", "holds", "paths", "_path_reader", "_written")

    def __init__(self, source: str):
        self.source = source
        self._compiled = jmespath.compile(source)
        # written as Python on first use: adapters hold ~1,500 expressions, most of them read
        # only through an item plan (itemplan.py), and loading stays as fast as parsing
        self.search, self.holds, self._written = self._search_first, self._holds_first, False
        self.paths = evidence_paths(self._compiled.parsed)
        self._path_reader = None

    def _write(self) -> None:
        if not self._written:  # once, whoever holds a stub (a copy, a bound method kept)
            _, self.search, self.holds = compile_functions(self._compiled.parsed)
            self._written = True

    def _search_first(self, data: Any) -> Any:
        self._write()
        return self.search(data)

    def _holds_first(self, data: Any) -> bool:
        self._write()
        return self.holds(data)

    def path_values(self, data: Any) -> tuple:
        """The value at each of `paths` in data (None where absent: get_steps(data, steps)[1])."""
        if self._path_reader is None:  # compiled on first use: most expressions never need it
            self._path_reader = compile_block(
                lambda gen: [f"return ({''.join(gen.path(tuple(s)) + ', ' for _, s in self.paths)})"], "v")
        return self._path_reader(data)

    @property
    def ast(self) -> dict:
        return self._compiled.parsed

    def search_reference(self, data: Any) -> Any:
        """The jmespath library's own answer, for checking the compiled functions."""
        try:
            return self._compiled.search(data, _OPTIONS)
        except ERRORS:
            return None

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"


@functools.lru_cache(maxsize=16384)
def compile_expr(source: str) -> tuple[Expr | None, str | None]:
    """Compile, returning (expr, None) or (None, error message). Cached: adapters repeat
    expressions through YAML anchors, and an Expr is immutable once built."""
    try:
        return Expr(source), None
    except jexc.JMESPathError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"invalid JMESPath {source!r}: {first_line}"


def is_container_path(ast: dict) -> bool:
    """True when the expression only walks fields, indexes and [*] projections.

    Such an expression yields the document's own lists, so the engine can edit them in place.
    """
    if ast["type"] not in _CONTAINER_NODES:
        return False
    return all(is_container_path(child) for child in ast.get("children", []))


def path_alternatives(ast: dict) -> list[list]:
    """The pure paths of `a || b || c` (or of a single path), in order."""
    if ast["type"] == "or_expression":
        out: list[list] = []
        for child in ast["children"]:
            out.extend(path_alternatives(child))
        return out
    steps = path_steps(ast)
    return [steps] if steps else []


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_steps(steps: list) -> str:
    """A path as JMESPath text; names that are not identifiers are quoted ("$type")."""
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            name = step if _IDENTIFIER.match(step) else json.dumps(step)
            text += ("." if text else "") + name
    return text


def evidence_paths(ast: dict) -> list[tuple[str, list]]:
    """Field paths an expression reads, as (text, steps), for recording evidence.

    Paths inside projections and filters are relative to other contexts and are skipped;
    a path that is a prefix of another is dropped (the longer one says more).
    """
    found: list[list] = []

    def visit(node: dict) -> None:
        steps = path_steps(node)
        if steps is not None:
            if steps and steps != ["null"]:
                found.append(steps)
            return
        if node["type"] in ("projection", "filter_projection", "value_projection", "flatten"):
            visit(node["children"][0])
            return
        for child in node.get("children", []):
            if isinstance(child, dict):  # slice nodes hold plain numbers
                visit(child)

    visit(ast)
    unique: list[list] = []
    for steps in sorted(found, key=len, reverse=True):
        if not any(other[: len(steps)] == steps for other in unique):
            unique.append(steps)
    return [(format_steps(s), s) for s in reversed(unique)]


def get_steps(data: Any, steps: list) -> tuple[bool, Any]:
    """Follow steps; (True, value) when every step exists."""
    for step in steps:
        if isinstance(step, int):
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                return False, None
        elif not isinstance(data, dict) or step not in data:
            return False, None
        data = data[step]
    return True, data


EVIDENCE_CHARS = 40  # an ad tag, a type name or a flag fits; a title is cut (the store drops it)


def summarize(value: Any, limit: int = EVIDENCE_CHARS) -> Any:
    """A short scalar for evidence (stored with every item): numbers, booleans and null as
    they are, a string cut at `limit`; of an object only its keys, of an array only its
    length, never their content (an ad object holds the title, text and image URLs)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    if isinstance(value, dict):
        keys = ", ".join(str(key) for key in value)
        keys = keys if len(keys) <= 2 * limit else keys[: 2 * limit - 1] + "…"
        return f"{{object: {keys}}}"
    if isinstance(value, list):
        return f"[array of {len(value)}]"
    return f"<{type(value).__name__}>"
