"""JMESPath ASTs compiled into Python closures.

The engine evaluates a few dozen expressions per item on every feed response, and the
jmespath tree interpreter was most of the engine's time (docs/benchmarks.md). jmespath still
parses every expression; this module turns the common node types into closures with the same
semantics, and hands any other node to jmespath's own interpreter. tests/test_jmesfast.py
checks that both agree on every shipped adapter expression.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jmespath.visitor import Options, TreeInterpreter, _equals, _is_comparable

Fn = Callable[[Any], Any]
_INTERPRETER = TreeInterpreter(Options(dict_cls=dict))
_ORDER = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


def is_false(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def compile_ast(node: dict) -> Fn:
    builder = _BUILDERS.get(node["type"])
    if builder is None:
        return lambda value, node=node: _INTERPRETER.visit(node, value)
    return builder(node)


def _field(node: dict) -> Fn:
    name = node["value"]
    return lambda v: v.get(name) if isinstance(v, dict) else None


def _chain(node: dict) -> Fn:
    steps = [compile_ast(child) for child in node["children"]]
    if len(steps) == 2:
        first, second = steps
        return lambda v: second(first(v))

    def run(v):
        for step in steps:
            v = step(v)
        return v
    return run


def _index(node: dict) -> Fn:
    i = node["value"]
    return lambda v: v[i] if isinstance(v, list) and -len(v) <= i < len(v) else None


def _literal(node: dict) -> Fn:
    value = node["value"]
    return lambda v: value


def _current(node: dict) -> Fn:
    return lambda v: v


def _or(node: dict) -> Fn:
    left, right = (compile_ast(c) for c in node["children"])

    def run(v):
        found = left(v)
        return right(v) if is_false(found) else found
    return run


def _and(node: dict) -> Fn:
    left, right = (compile_ast(c) for c in node["children"])

    def run(v):
        found = left(v)
        return found if is_false(found) else right(v)
    return run


def _not(node: dict) -> Fn:
    child = compile_ast(node["children"][0])

    def run(v):
        found = child(v)
        if isinstance(found, (int, float)) and not isinstance(found, bool) and found == 0:
            return False  # !0 is false in JMESPath: 0 is a value, not falsy
        return not found
    return run


def _literal_equals(node: dict) -> Fn | None:
    """a == 'x', a == `1`, a != null…: a comparison with a literal, as one Python test
    with JMESPath's meaning (true is not 1, 0 is not false), without jmespath's generic _equals."""
    left_node, right_node = node["children"]
    if right_node["type"] != "literal" or node["value"] not in ("eq", "ne"):
        return None
    left, value = compile_ast(left_node), right_node["value"]
    if isinstance(value, str):
        test = lambda v: left(v) == value  # noqa: E731
    elif value is None or isinstance(value, bool):
        test = lambda v: left(v) is value  # noqa: E731
    elif isinstance(value, (int, float)):
        def test(v):
            found = left(v)
            return found == value and not isinstance(found, bool)
    else:
        return None
    return test if node["value"] == "eq" else (lambda v: not test(v))


def _comparator(node: dict) -> Fn:
    fast = _literal_equals(node)
    if fast is not None:
        return fast
    left, right = (compile_ast(c) for c in node["children"])
    op = node["value"]
    if op == "eq":
        return lambda v: _equals(left(v), right(v))
    if op == "ne":
        return lambda v: not _equals(left(v), right(v))
    compare = _ORDER[op]

    def ordered(v):
        a, b = left(v), right(v)
        return compare(a, b) if _is_comparable(a) and _is_comparable(b) else None
    return ordered


def _function(node: dict) -> Fn:
    name = node["value"]
    args = [compile_ast(child) for child in node["children"]]
    call = _INTERPRETER._functions.call_function
    fast = _FAST_FUNCTIONS.get((name, len(args)))
    if fast is None:
        return lambda v: call(name, [arg(v) for arg in args])

    def run(v):
        values = [arg(v) for arg in args]
        done, result = fast(*values)
        return result if done else call(name, values)  # a type jmespath refuses: its error
    return run


# The functions adapters use most, for arguments of the types jmespath accepts (anything else
# goes to jmespath, which raises its type error): (handled, result).
def _contains(subject, search):
    if isinstance(subject, list) or isinstance(subject, str) and isinstance(search, str):
        return True, search in subject
    return False, None


def _starts_with(subject, prefix):
    ok = isinstance(subject, str) and isinstance(prefix, str)
    return ok, subject.startswith(prefix) if ok else None


def _ends_with(subject, suffix):
    ok = isinstance(subject, str) and isinstance(suffix, str)
    return ok, subject.endswith(suffix) if ok else None


def _length(subject):
    ok = isinstance(subject, (str, list, dict))
    return ok, len(subject) if ok else None


_FAST_FUNCTIONS = {("contains", 2): _contains, ("starts_with", 2): _starts_with,
                   ("ends_with", 2): _ends_with, ("length", 1): _length}


def _projection(node: dict) -> Fn:
    base, each = (compile_ast(c) for c in node["children"])

    def run(v):
        items = base(v)
        if not isinstance(items, list):
            return None
        return [r for r in map(each, items) if r is not None]
    return run


def _filter_projection(node: dict) -> Fn:
    base, each, condition = (compile_ast(c) for c in node["children"])

    def run(v):
        items = base(v)
        if not isinstance(items, list):
            return None
        return [r for e in items if not is_false(condition(e)) and (r := each(e)) is not None]
    return run


def _flatten(node: dict) -> Fn:
    base = compile_ast(node["children"][0])

    def run(v):
        items = base(v)
        if not isinstance(items, list):
            return None
        merged = []
        for element in items:
            merged.extend(element) if isinstance(element, list) else merged.append(element)
        return merged
    return run


def _multi_select_list(node: dict) -> Fn:
    children = [compile_ast(c) for c in node["children"]]
    return lambda v: None if v is None else [child(v) for child in children]


def _value_projection(node: dict) -> Fn:
    base, each = (compile_ast(c) for c in node["children"])

    def run(v):
        found = base(v)
        if not isinstance(found, dict):
            return None
        return [r for r in map(each, found.values()) if r is not None]
    return run


_BUILDERS: dict[str, Callable[[dict], Fn]] = {
    "field": _field, "subexpression": _chain, "index_expression": _chain, "pipe": _chain,
    "index": _index, "literal": _literal, "current": _current, "identity": _current,
    "or_expression": _or, "and_expression": _and, "not_expression": _not,
    "comparator": _comparator, "function_expression": _function, "projection": _projection,
    "filter_projection": _filter_projection, "flatten": _flatten,
    "multi_select_list": _multi_select_list, "value_projection": _value_projection,
}
