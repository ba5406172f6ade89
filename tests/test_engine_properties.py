"""Property-based: mutated fixtures never crash the engine and never yield a broken body."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedlens import fixtures, paths
from feedlens.adapters import load_adapters
from feedlens.engine import Engine
from feedlens.profiles import compile_profile
from feedlens.yamlsrc import parse

from .conftest import DATA

ADAPTERS = load_adapters([paths.platforms_dir(), DATA / "demo.yaml"])
CASES, _ = fixtures.discover(paths.platforms_dir())
CASES += fixtures.discover(DATA)[0]
JSON_CASES = [c for c in CASES if c.body_path().suffix == ".json"]
PROFILE = compile_profile(parse("""title: busy
version: 1
mark: {title_prefix: all}
rules:
  - {id: ads, when: {provenance: promoted}, action: hide}
  - {id: pop, when: {provenance: popular}, action: move_to_end}
  - {id: fol, when: {provenance: followed}, action: chronological}
  - {id: rec, when: {provenance: personalized}, action: limit, max: 2}
""", "busy.yaml"))
ENGINE = Engine(ADAPTERS, PROFILE, clock=lambda: datetime(2026, 11, 22, 12))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6)


def _nodes(doc, out):
    if isinstance(doc, dict):
        out.extend((doc, k) for k in doc)
        for v in doc.values():
            _nodes(v, out)
    elif isinstance(doc, list):
        out.extend((doc, i) for i in range(len(doc)))
        for v in doc:
            _nodes(v, out)
    return out


@st.composite
def mutated_json(draw):
    case = draw(st.sampled_from(JSON_CASES))
    doc = json.loads(case.body_path().read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        spots = _nodes(doc, [])
        if not spots:
            break
        parent, key = draw(st.sampled_from(spots))
        if draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(json_values)
    return case, json.dumps(doc, ensure_ascii=False).encode()


@st.composite
def mangled_bytes(draw):
    case = draw(st.sampled_from(CASES))
    body = bytearray(case.body_path().read_bytes())
    cut = draw(st.integers(0, len(body)))
    if draw(st.booleans()):
        body = body[:cut]
    else:
        for _ in range(draw(st.integers(1, 8))):
            if body:
                body[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
    return case, bytes(body)


def assert_valid_or_unchanged(case, body):
    outcome = ENGINE.process(case.request(), body, case.content_type())
    assert outcome.error is None, outcome.error
    if not outcome.changed:
        assert outcome.body is None
        return
    if case.body_path().suffix == ".json":
        json.loads(outcome.body)  # structurally valid
    again = ENGINE.process(case.request(), outcome.body, case.content_type())
    assert again.error is None
    assert len(again.items) <= len(outcome.items)
    hidden = sum(i.decision == "hide" for i in outcome.items)
    assert len(again.items) == len(outcome.items) - hidden or not again.items


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json())
def test_mutated_structures(sample):
    assert_valid_or_unchanged(*sample)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_bytes())
def test_truncated_or_corrupted_bytes(sample):
    assert_valid_or_unchanged(*sample)
