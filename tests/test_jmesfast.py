"""The compiled closures agree with the jmespath library on every shipped adapter expression."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedlens import fixtures, paths
from feedlens.adapters import load_adapters
from feedlens.extract import locate
from feedlens.jmes import Expr

ADAPTERS = load_adapters([paths.platforms_dir()])
CASES, _ = fixtures.discover(paths.platforms_dir())


def _exprs(endpoint) -> list[Expr]:
    found = list(endpoint.containers) + [e for e, _ in endpoint.labels]
    found += [endpoint.request] if endpoint.request else []
    for shape in [endpoint.shape, *endpoint.find.values()]:
        found += list(shape.fields.values()) + ([shape.skip] if shape.skip else [])
    for rule in endpoint.provenance:
        found += [e for e in (rule.when, rule.reason, rule.context) if e is not None]
    found += list(endpoint.context.values())
    return found


EXPRESSIONS = sorted({e.source: e for ep in ADAPTERS.endpoints for e in _exprs(ep)}.items())


def _samples() -> list:
    samples = []
    for case in CASES:
        if case.body_path().suffix != ".json":
            continue
        doc = json.loads(case.body_path().read_bytes())
        samples.append(doc)
        for endpoint in ADAPTERS.endpoints:
            if endpoint.platform == case.platform:
                samples.extend(loc.node for loc in locate(endpoint, doc))
    return samples


SAMPLES = _samples()


def test_there_is_something_to_compare():
    assert len(EXPRESSIONS) > 200 and len(SAMPLES) > 200


@pytest.mark.parametrize("source, expr", EXPRESSIONS, ids=[s for s, _ in EXPRESSIONS])
def test_same_answer_on_fixture_data(source, expr):
    for sample in SAMPLES:
        assert expr.search(sample) == expr.search_reference(sample), source


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(["", "a", "ad", "cursor-1", "1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["a", "b", "id", "type", "content", "items", "entryId", "is_ad", "0"]), inner, max_size=4),
    max_leaves=12)


EXTRA = [Expr(s) for s in (
    "a || b", "a && b.c", "!a", "!(a.b)", "a == `0`", "a == `false`", "a < b", "a[0].b", "a[-1]",
    "a[*].b", "a[?b].id", "a[].b", "starts_with(a, 'x')", "length(items)", "a | b", "type == 'ad' && !b",
    "a != null && a.b", "contains(a, 'ad')", "`[1,2]`", "a[1:2]", "{x: a}", "not_null(a, b)",
    # the literal comparisons and functions compiled without jmespath's generic helpers
    "a == `1`", "a != `1`", "a == `true`", "a != `true`", "a == null", "a == 'ad'", "a != 'ad'",
    "a == `1.0`", "contains(a, b)", "contains(a, `1`)", "starts_with(a, b)", "ends_with(a, 'd')",
    "ends_with(a, b)", "length(a)", "length(a) > `0`", "[a, b]", "[a, b][0]", "a.*", "a.*.b", "*.id",
    # generated code: ordering, equality with booleans, the string functions, nested projections
    "a > `1`", "a <= b", "a < 'b'", "a == b", "a != b", "a == `[1]`", "to_string(a)", "to_string(a.b)",
    "join(', ', a)", "join(a, b)", "join('', [a, 'x'])", "a[*].b[*].id", "a[?b == `1`][?id].type",
    "(a || b).id", "a | (b || id)", "!a.b || `0`", "`0` || a", "a[-2]", "a[0][1]", "a | [0]",
    "a && !b && c || id", "contains(['a', `1`, `true`], a)", "contains(`[]`, a)", "contains(`[[1]]`, a)")]


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([e for _, e in EXPRESSIONS] + EXTRA))
def test_same_answer_on_random_data(value, expr):
    assert expr.search(value) == expr.search_reference(value)


@settings(max_examples=1500, deadline=None)
@given(json_values, st.sampled_from(EXTRA))
def test_node_kinds_same_answer_on_random_data(value, expr):
    assert expr.search(value) == expr.search_reference(value)
    found = expr.search_reference(value)
    assert expr.holds(value) == (not (found is None or found is False or found == "" or found == []
                                      or found == {}))  # JMESPath's truth: 0 is true


def test_an_expression_is_written_once_even_through_a_kept_stub():
    expr = Expr("a.b || c")
    stub_search, stub_holds = expr.search, expr.holds  # taken before the first use
    assert stub_search({"a": {"b": 1}}) == 1 and stub_holds({"c": "x"})
    written = expr.search, expr.holds
    assert written != (stub_search, stub_holds)
    assert stub_search({"c": 2}) == 2 and not stub_holds({})
    assert (expr.search, expr.holds) == written  # not written again
