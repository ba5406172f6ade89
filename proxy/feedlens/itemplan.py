"""Per (endpoint, item shape), one generated function reads everything build_item needs of an
item: its fields, the first provenance rule that holds, its format and relation rules and its
labels. A path that several of them read is read once per item (jmesfast.compile_block), and
each rule list stops at the first rule that holds, as the rules are read one by one.

The answers are those of evaluating each expression alone (tests/test_itemplan.py compares
both on every fixture and corpus body): a field whose expression raises is read again alone
(None), a condition that raises does not hold.
"""

from __future__ import annotations

from collections.abc import Callable

from .adapters import Endpoint, ItemShape
from .jmesfast import compile_block, falsy

# (id(endpoint), id(shape)) -> (endpoint, shape, plan): the objects are kept to tell a reused id
_PLANS: dict[tuple[int, int], tuple[Endpoint, ItemShape, Callable]] = {}
_MAX_PLANS = 4096  # adapters reloaded (pack updates) leave old ones behind: start over then


def plan_for(endpoint: Endpoint, shape: ItemShape) -> Callable:
    """plan(node, located type, located context, request context) ->
    (field values or None when one raised, provenance rule index, format index, relation
    index, labels); index -1: no provenance rule held."""
    key = (id(endpoint), id(shape))
    found = _PLANS.get(key)
    if found is not None and found[0] is endpoint and found[1] is shape:
        return found[2]
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    plan = compile_block(lambda gen: _write(gen, endpoint, shape), "v, typ, ctx, req")
    _PLANS[key] = (endpoint, shape, plan)
    return plan


def _write(gen, endpoint: Endpoint, shape: ItemShape) -> list[str]:
    fields = ", ".join(f"{name!r}: {gen.expr(expr.ast, 'v')}" for name, expr in shape.fields.items())
    lines = ["try:", f"    values = {{{fields}}}", "except ERRORS:", "    values = None"]
    lines += _first(gen, "prov", [_provenance_test(gen, rule) for rule in endpoint.provenance])
    lines += _first(gen, "fmt", [(None, r.when) for r in shape.format.rules])
    lines += _first(gen, "rel", [(None, r.when) for r in shape.relation.rules])
    lines.append("labels = []")
    for expr, label in endpoint.labels:
        lines += _holds(gen, expr, [f"labels.append({label!r})"])
    return lines + ["return values, prov, fmt, rel, labels"]


def _provenance_test(gen, rule) -> tuple[str | None, object]:
    """(the tests of the rule that read no item field, its `when`, or None when it decides alone)."""
    tests = []
    if rule.type is not None:
        tests.append(f"typ == {rule.type!r}")
    if rule.context is not None:  # the expression, not its holds: that is written on first use
        tests.append(f"{gen.const(rule.context)}.holds(ctx or {{}})")
    if rule.request is not None:
        tests.append(f"{gen.const(rule.request)}.holds(req or {{}})")
    return " and ".join(tests) or None, None if rule.is_default else rule.when


def _first(gen, name: str, rules: list[tuple[str | None, object]]) -> list[str]:
    """`name` = the index of the first rule that holds, else -1."""
    lines = ["while True:"]
    for index, (test, when) in enumerate(rules):
        decided = [f"{name} = {index}", "break"]
        inner = _holds(gen, when, decided) if when is not None else decided
        lines += ["    " + line for line in ([f"if {test}:", *("    " + i for i in inner)] if test else inner)]
    return lines + [f"    {name} = -1", "    break"]


def _holds(gen, expr, then: list[str]) -> list[str]:
    """Lines running `then` when the expression holds (an error: it does not)."""
    return ["try:", f"    h = {gen.expr(expr.ast, 'v')}", "except ERRORS:", "    h = None",
            f"if not {falsy('h')}:", *("    " + line for line in then)]
