"""The generated per-endpoint item plans (itemplan.py) read every item as the expressions read
alone through the jmespath library's own interpreter: on every fixture and corpus body, with
a mark-only and a rewriting profile, the items (to_dict) and the written bodies are the same."""

from __future__ import annotations

from datetime import datetime

import pytest

from feedlens import extract, fixtures, paths
from feedlens.adapters import load_adapters
from feedlens.engine import Engine
from feedlens.itemplan import plan_for
from feedlens.profiles import MARK_ONLY, compile_profile
from feedlens.yamlsrc import parse
from tests import corpus_support as corpus

ADAPTERS = load_adapters([paths.platforms_dir()])
CASES, _ = fixtures.discover(paths.platforms_dir())
CAPTURES = sorted(corpus.expectations()) if corpus.corpus_dir().is_dir() else []
REWRITE = compile_profile(parse("""title: plan test
version: 1
mark: {title_prefix: all}
rules:
  - {id: ads, when: {provenance: promoted}, action: hide}
  - {id: rec, when: {provenance: personalized}, action: limit, max: 3}
  - {id: pop, when: {provenance: popular}, action: move_to_end}
  - {id: kw, when: {keywords: [抽奖, giveaway, the]}, action: blur}
""", "plan.yaml"))
PROFILES = {"mark": MARK_ONLY, "rewrite": REWRITE}


def _true(value) -> bool:
    return not (value is None or value is False or value == "" or value == [] or value == {})


def _first(rules, holds) -> int:
    return next((i for i, rule in enumerate(rules) if holds(rule)), -1)


def reference_plan(endpoint, shape):
    """Each expression alone, with jmespath's interpreter, in the order build_item read them."""
    def provenance_holds(rule, node, typ, ctx, req) -> bool:
        return ((rule.type is None or rule.type == typ)
                and (rule.context is None or _true(rule.context.search_reference(ctx or {})))
                and (rule.request is None or _true(rule.request.search_reference(req or {})))
                and (rule.is_default or rule.when is None or _true(rule.when.search_reference(node))))

    def plan(node, typ, ctx, req):
        values = {name: expr.search_reference(node) for name, expr in shape.fields.items()}
        facet = [_first(f.rules, lambda r: r.when is None or _true(r.when.search_reference(node)))
                 for f in (shape.format, shape.relation)]
        labels = [label for expr, label in endpoint.labels if _true(expr.search_reference(node))]
        prov = _first(endpoint.provenance, lambda r: provenance_holds(r, node, typ, ctx, req))
        return values, prov, facet[0], facet[1], labels
    return plan


def _noon():
    return datetime(2026, 11, 22, 12, 0)


def _outcomes(profile) -> dict[str, tuple]:
    engine = Engine(ADAPTERS, profile, clock=_noon)
    found = {}
    for case in CASES:
        outcome, _ = fixtures.run(engine, case)
        found[f"{case.platform}/{case.name}"] = outcome
    engine = Engine(ADAPTERS, profile, clock=_noon)
    for name in CAPTURES:
        capture = corpus.load(name, corpus.expectations()[name])
        found[name] = engine.process(capture.request(), capture.body, capture.content_type)
    return {key: ([item.to_dict() for item in o.items], o.body, o.reason, o.error, o.placeholders)
            for key, o in found.items()}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_plans_read_items_as_each_expression_alone(profile, monkeypatch):
    planned = _outcomes(PROFILES[profile])
    monkeypatch.setattr(extract, "plan_for", reference_plan)
    reference = _outcomes(PROFILES[profile])
    assert len(planned) > 150 and sum(len(o[0]) for o in planned.values()) > 1000
    assert not [key for key, outcome in planned.items() if outcome[3]]  # no engine errors
    for key in reference:
        assert planned[key] == reference[key], key


def _root_keys(endpoint, shape) -> set[str]:
    exprs = [*shape.fields.values(), *(e for e, _ in endpoint.labels)]
    exprs += [r.when for f in (shape.format, shape.relation) for r in f.rules if r.when is not None]
    exprs += [r.when for r in endpoint.provenance if r.when is not None]
    return {steps[0] for expr in exprs for _, steps in expr.paths if steps and isinstance(steps[0], str)}


@pytest.mark.parametrize("odd", [{"x": 1}, [1, "x"], 7, True, "text", None])
def test_odd_values_where_expressions_raise_read_as_each_expression_alone(odd):
    """Fields that raise (a join over a non-string) are None, conditions that raise do not hold."""
    raised = 0
    for endpoint in ADAPTERS.endpoints:
        for shape in [endpoint.shape, *endpoint.find.values()]:
            node = {key: odd for key in _root_keys(endpoint, shape)}
            plan = plan_for(endpoint, shape)
            answer = plan(node, None, None, None)
            raised += answer[0] is None
            values = answer[0] if answer[0] is not None else {n: e.search(node) for n, e in shape.fields.items()}
            assert (values, *answer[1:]) == reference_plan(endpoint, shape)(node, None, None, None), endpoint.key
            assert plan_for(endpoint, shape) is plan  # compiled once
    if odd == {"x": 1}:
        assert raised  # some field expression did raise on it


def test_shared_evidence_keeps_each_value_as_it_was():
    """Items share one Evidence per fact; 1, true and 1.0 (equal in Python) stay apart."""
    from feedlens.extract import _fact
    facts = [_fact("is_ad", value) for value in (1, True, 1.0, -0.0, 0.0, "1", None)]
    assert [type(f.value) for f in facts] == [int, bool, float, float, float, str, type(None)]
    assert str(facts[3].value) == "-0.0"
    assert _fact("is_ad", 1) is facts[0] and _fact("is_ad", 1, "request") is not facts[0]
