"""JMESPath ASTs compiled into Python functions.

The engine evaluates a few dozen expressions per item on every feed response, and the
jmespath tree interpreter was most of the engine's time (docs/benchmarks.md). jmespath still
parses every expression; this module writes the common node types as one Python function
per expression (`a.b[0].c || d` becomes a few inline dict lookups, with no call per node),
with the same semantics on JSON values, and hands any other node to jmespath's own
interpreter. tests/test_jmesfast.py checks that both agree on every shipped adapter expression.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from jmespath import exceptions as jexc
from jmespath.visitor import Options, TreeInterpreter, _equals, _is_comparable

Fn = Callable[[Any], Any]
_INTERPRETER = TreeInterpreter(Options(dict_cls=dict))
_PATH_NODES = {"field", "subexpression", "index_expression", "index"}
# Nodes worth computing once when several expressions of a block compute them from its root.
_SHARED_NODES = {"or_expression", "and_expression", "pipe", "subexpression", "index_expression",
                 "function_expression", "projection", "filter_projection", "flatten",
                 "value_projection", "multi_select_list", "not_expression"}
_UNSET = object()
_ORDER = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}
# What evaluating an expression on odd data may raise; a search answers None instead.
ERRORS = (jexc.JMESPathError, TypeError, ValueError, AttributeError, KeyError, IndexError,
          RecursionError)


def is_false(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def falsy(name: str, value: str | None = None) -> str:
    """is_false(name) inline, `value` bound to `name` first when given; the truth test
    first, so a non-empty value costs one test (JSON values that are falsy in Python but not
    in JMESPath: 0 and 0.0)."""
    first = f"({name} := {value})" if value is not None else name
    return (f"(not {first} and ({name} is None or {name} is False or {name} == '' "
            f"or {name} == [] or {name} == {{}}))")


def compile_functions(node: dict) -> tuple[Fn, Fn, Fn]:
    """(raw, search, holds): raw may raise; search answers None and holds False instead."""
    gen = _Gen()
    body = gen.expr(node, "v")
    source = "\n".join(gen.defs + [
        "def raw(v):", f"    return {body}",
        "def search(v):", "    try:", f"        return {body}", "    except ERRORS:", "        return None",
        "def holds(v):", "    try:", f"        h = {body}", "    except ERRORS:", "        return False",
        f"    return not {falsy('h')}"])
    namespace = {"ERRORS": ERRORS, **gen.consts}
    exec(compile(source, f"<jmespath {node['type']}>", "exec"), namespace)  # noqa: S102 (our own text)
    return namespace["raw"], namespace["search"], namespace["holds"]


def compile_block(write: Callable[[_Gen], list[str]], args: str) -> Callable:
    """One function `block(args)` whose body `write(gen)` writes, with gen.expr(ast, "v") for
    each expression over the root `v`: a pure path that several of them read (`type`,
    `core.user.id`) is read once, at the top. `write` is called twice (counting, writing)."""
    counting = _Gen()
    write(counting)
    shared = [key for key, uses in counting.uses.items() if uses >= 2]
    gen = _Gen({key: f"p{i}" for i, key in enumerate(k for k in shared if isinstance(k, tuple))},
               {key: f"m{i}" for i, key in enumerate(k for k in shared if isinstance(k, str))})
    body = write(gen)
    source = "\n".join(gen.defs + [f"def block({args}):", *("    " + line for line in gen.prelude() + body)])
    namespace = {"ERRORS": ERRORS, "UNSET": _UNSET, **gen.consts}
    exec(compile(source, "<feedlens block>", "exec"), namespace)  # noqa: S102 (our own text)
    return namespace["block"]


class _Gen:
    """Writes expressions as Python source: each node an expression over its input's.

    What several expressions of one function compute from the root input `v` is shared:
    `uses` counts it (a first pass); `hoisted` names the prefixes of pure paths (`a.b[0].c`)
    read once into locals at its top (`prelude`), as field reads that never raise; `memos`
    names the other sub-expressions (`(value.post || post).embed`), each computed where it
    is first needed and kept (one that raises raises where it is used, as it would alone)."""

    def __init__(self, hoisted: dict[tuple, str] | None = None, memos: dict[str, str] | None = None):
        self.consts: dict[str, Any] = {}
        self.defs: list[str] = []
        self.count = 0
        self.uses: dict[tuple | str, int] = {}
        self.hoisted = hoisted or {}
        self.memos = memos or {}

    def tmp(self) -> str:
        self.count += 1
        return f"t{self.count}"

    def const(self, value) -> str:
        name = f"k{len(self.consts)}"
        self.consts[name] = value
        return name

    def expr(self, node: dict, v: str) -> str:
        if v == "v" and node["type"] in _PATH_NODES:
            steps = path_steps(node)
            if steps:
                return self.path(tuple(steps))
        if v == "v" and node["type"] in _SHARED_NODES:
            key = repr(node)
            self.uses[key] = self.uses.get(key, 0) + 1
            if key in self.memos:
                name = self.memos[key]
                return f"({name} if {name} is not UNSET else ({name} := {self._build(node, v)}))"
        return self._build(node, v)

    def _build(self, node: dict, v: str) -> str:
        build = getattr(self, "n_" + node["type"], None)
        if build is None:
            return f"{self.const(lambda value, node=node: _INTERPRETER.visit(node, value))}({v})"
        return build(node, v)

    def path(self, steps: tuple) -> str:
        """A pure path from the root `v`, from its longest hoisted prefix."""
        for k in range(1, len(steps) + 1):
            self.uses[steps[:k]] = self.uses.get(steps[:k], 0) + 1
        k = next((k for k in range(len(steps), 0, -1) if steps[:k] in self.hoisted), 0)
        return self.steps(self.hoisted[steps[:k]] if k else "v", steps[k:])

    def steps(self, v: str, steps) -> str:
        for step in steps:
            node = {"type": "index" if isinstance(step, int) else "field", "value": step}
            v = self.n_index(node, v) if isinstance(step, int) else self.n_field(node, v)
        return v

    def prelude(self) -> list[str]:
        """The assignments of the hoisted prefixes, shorter first."""
        lines = []
        for steps, name in sorted(self.hoisted.items(), key=lambda kv: len(kv[0])):
            k = next((k for k in range(len(steps) - 1, 0, -1) if steps[:k] in self.hoisted), 0)
            lines.append(f"{name} = {self.steps(self.hoisted[steps[:k]] if k else 'v', steps[k:])}")
        return lines + [f"{' = '.join(self.memos.values())} = UNSET"] if self.memos else lines

    def named(self, v: str, build: Callable[[str], str]) -> str:
        """`build` may use its input many times or not at all: give it a name, bound first."""
        if v.isidentifier():
            return build(v)
        name = self.tmp()
        return f"(({name} := {v}), {build(name)})[1]"

    def n_field(self, node: dict, v: str) -> str:
        key = repr(node["value"])
        if v.isidentifier():
            return f"({v}.get({key}) if isinstance({v}, dict) else None)"
        t = self.tmp()
        return f"({t}.get({key}) if isinstance({t} := {v}, dict) else None)"

    def n_subexpression(self, node: dict, v: str) -> str:
        for child in node["children"]:
            v = self.expr(child, v)
        return v

    n_index_expression = n_pipe = n_subexpression

    def n_index(self, node: dict, v: str) -> str:
        i = node["value"]
        t = v if v.isidentifier() else self.tmp()
        bind = t if t == v else f"{t} := {v}"
        fits = f"len({t}) > {i}" if i >= 0 else f"len({t}) >= {-i}"
        return f"({t}[{i}] if isinstance({bind}, list) and {fits} else None)"

    def n_literal(self, node: dict, v: str) -> str:
        value = node["value"]
        if value is None or isinstance(value, (bool, str)) or type(value) is int:
            return repr(value)
        return self.const(value)

    def n_current(self, node: dict, v: str) -> str:
        return v

    n_identity = n_current

    def n_or_expression(self, node: dict, v: str) -> str:
        left, right = node["children"]
        a = self.tmp()
        return self.named(v, lambda n: f"({a} if not {falsy(a, self.expr(left, n))}"
                                       f" else {self.expr(right, n)})")

    def n_and_expression(self, node: dict, v: str) -> str:
        left, right = node["children"]
        a = self.tmp()
        return self.named(v, lambda n: f"({a} if {falsy(a, self.expr(left, n))}"
                                       f" else {self.expr(right, n)})")

    def n_not_expression(self, node: dict, v: str) -> str:
        # JMESPath's !x is is_false(x) on JSON values: !0 is false (0 is a value, not falsy)
        return falsy(self.tmp(), self.expr(node["children"][0], v))

    def n_comparator(self, node: dict, v: str) -> str:
        left, right = node["children"]
        op = node["value"]
        if right["type"] == "literal" and op in ("eq", "ne"):
            test = self._literal_equals(self.expr(left, v), right["value"])
            if test is not None:
                return test if op == "eq" else f"(not {test})"
        if op in ("eq", "ne"):
            call = self.named(v, lambda n: f"{self.const(_json_equals)}({self.expr(left, n)}, {self.expr(right, n)})")
            return call if op == "eq" else f"(not {call})"
        ordered = self.const(_ordered(_ORDER[op]))
        return self.named(v, lambda n: f"{ordered}({self.expr(left, n)}, {self.expr(right, n)})")

    def _literal_equals(self, left: str, value) -> str | None:
        """== a literal as one Python test with JMESPath's meaning (true is not 1, 0 is not false)."""
        if isinstance(value, str):
            return f"({left} == {value!r})"
        if value is None or isinstance(value, bool):
            return f"({left} is {value!r})"
        if isinstance(value, (int, float)):
            t = self.tmp()
            return f"(({t} := {left}) == {self.const(value)} and not isinstance({t}, bool))"
        return None

    def n_function_expression(self, node: dict, v: str) -> str:
        name, args = node["value"], node["children"]
        runner = self.const(_function(name, len(args)))
        if name == "to_string" and len(args) == 1:  # a string is itself: no call
            t = self.tmp()
            return f"({t} if ({t} := {self.expr(args[0], v)}).__class__ is str else {runner}({t}))"
        if name == "contains" and len(args) == 2 and args[0]["type"] == "literal" and isinstance(args[0]["value"], list):
            return f"({self.expr(args[1], v)} in {self.const(args[0]['value'])})"  # `in` a list, as jmespath
        return self.named(v, lambda n: f"{runner}({', '.join(self.expr(c, n) for c in args)})")

    def _helper(self, lines: list[str]) -> str:
        name = f"h{len(self.defs)}_{self.tmp()}"
        self.defs.append("\n".join([f"def {name}(b):", *("    " + line for line in lines)]))
        return name

    def _collect(self, base: dict, v: str, each: dict, *, of: str = "list",
                 condition: dict | None = None) -> str:
        """A projection's loop over `base` (a list, or a dict's values): each element's `each`,
        None results left out, elements whose `condition` is falsy skipped."""
        e, r = self.tmp(), self.tmp()
        lines = [f"if not isinstance(b, {of}):", "    return None", "out = []",
                 f"for {e} in {'b.values()' if of == 'dict' else 'b'}:"]
        if condition is not None:
            c = self.tmp()
            lines += [f"    {c} = {self.expr(condition, e)}", f"    if {falsy(c)}:", "        continue"]
        lines += [f"    {r} = {self.expr(each, e)}", f"    if {r} is not None:", f"        out.append({r})",
                  "return out"]
        return f"{self._helper(lines)}({self.expr(base, v)})"

    def n_projection(self, node: dict, v: str) -> str:
        base, each = node["children"]
        return self._collect(base, v, each)

    def n_filter_projection(self, node: dict, v: str) -> str:
        base, each, condition = node["children"]
        return self._collect(base, v, each, condition=condition)

    def n_flatten(self, node: dict, v: str) -> str:
        helper = self._helper([
            "if not isinstance(b, list):", "    return None", "out = []", "for e in b:",
            "    out.extend(e) if isinstance(e, list) else out.append(e)", "return out"])
        return f"{helper}({self.expr(node['children'][0], v)})"

    def n_multi_select_list(self, node: dict, v: str) -> str:
        return self.named(v, lambda n: f"(None if {n} is None else "
                                       f"[{', '.join(self.expr(c, n) for c in node['children'])}])")

    def n_value_projection(self, node: dict, v: str) -> str:
        base, each = node["children"]
        return self._collect(base, v, each, of="dict")


def path_steps(ast: dict) -> list | None:
    """A pure path as a list of keys and indexes, or None when it is not one."""
    kind = ast["type"]
    if kind == "field":
        return [ast["value"]]
    if kind in ("current", "identity"):
        return []
    if kind == "index":
        return [ast["value"]]
    if kind in ("subexpression", "index_expression"):
        steps: list = []
        for child in ast["children"]:
            sub = path_steps(child)
            if sub is None:
                return None
            steps.extend(sub)
        return steps
    return None


def _json_equals(a, b) -> bool:
    """jmespath's _equals: it differs from == only where one side is a boolean (1 is not true)."""
    return a == b if a.__class__ is not bool and b.__class__ is not bool else _equals(a, b)


_PLAIN = (int, float, str)


def _ordered(compare) -> Callable:
    """<, <=, >, >= as jmespath has them: None unless both sides are numbers or strings."""
    def run(a, b):
        if a.__class__ in _PLAIN and b.__class__ in _PLAIN or _is_comparable(a) and _is_comparable(b):
            return compare(a, b)
        return None
    return run


def _function(name: str, arity: int) -> Callable:
    call = _INTERPRETER._functions.call_function
    fast = _FAST_FUNCTIONS.get((name, arity))
    if fast is None:
        return lambda *values: call(name, list(values))

    def run(*values):
        done, result = fast(*values)
        return result if done else call(name, list(values))  # a type jmespath refuses: its error
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


def _to_string(subject):
    ok = isinstance(subject, str)
    return ok, subject if ok else None


def _join(separator, items):
    ok = isinstance(separator, str) and isinstance(items, list) and all(isinstance(i, str) for i in items)
    return ok, separator.join(items) if ok else None


_FAST_FUNCTIONS = {("contains", 2): _contains, ("starts_with", 2): _starts_with,
                   ("ends_with", 2): _ends_with, ("length", 1): _length,
                   ("to_string", 1): _to_string, ("join", 2): _join}
