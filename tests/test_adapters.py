"""Every shipped adapter, tested by the fixtures beside it.

One test per fixture case; the suite fails when an endpoint has no case, when a case is
claimed by no endpoint or by more than one, and when a case folder has no adapter.
"""

from __future__ import annotations

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine

CASES, CASE_ERRORS = fixtures.discover(paths.platforms_dir())


@pytest.fixture(scope="module")
def engine(shipped_adapters):
    return Engine(shipped_adapters)


def test_shipped_adapters_load_without_errors(shipped_adapters):
    assert shipped_adapters.errors == []
    assert len(shipped_adapters.adapters) >= 10


def test_case_files_are_valid():
    assert CASE_ERRORS == []


@pytest.mark.parametrize("case", CASES, ids=[f"{c.platform}/{c.name}" for c in CASES])
def test_fixture_case(engine, case):
    assert case.body_path().exists(), f"{case.path}: body file {case.body_path().name} is missing"
    outcome, failures = fixtures.run(engine, case)
    assert failures == []


@pytest.mark.parametrize("case", CASES, ids=[f"{c.platform}/{c.name}" for c in CASES])
def test_case_url_is_claimed_by_exactly_one_endpoint(engine, case):
    claimed = [e.key for e in engine.matching(case.request())]
    if "context" in case.data:  # a continuation: its parent page decides, else one fallback at most
        assert len(claimed) <= 1
    else:
        assert claimed == [f"{case.platform}/{case.data['expect']['endpoint']}"]


def test_every_endpoint_has_a_fixture(shipped_adapters):
    covered = {(c.platform, c.data["expect"]["endpoint"]) for c in CASES}
    missing = [e.key for e in shipped_adapters.endpoints if (e.platform, e.name) not in covered]
    assert missing == [], f"endpoints without a fixture case: {missing}"


def test_every_fixture_folder_has_an_adapter(shipped_adapters):
    platforms = {a.platform for a in shipped_adapters.adapters}
    folders = {p.name.removesuffix(".fixtures") for p in paths.platforms_dir().glob("*.fixtures")}
    assert folders - platforms == set()


def test_every_fixture_exercises_a_rewrite(engine, shipped_adapters):
    """Hiding every item leaves a valid body in which no item remains (cursors may)."""
    from feedlens.engine import Engine as _Engine
    from feedlens.profiles import compile_profile
    from feedlens.yamlsrc import parse

    hide_all = _Engine(shipped_adapters, compile_profile(parse(
        "title: t\nversion: 1\nrules:\n  - {id: all, action: hide}\n", "hide-all.yaml")))
    for case in CASES:
        body = case.body_path().read_bytes()
        first = hide_all.process(case.request(), body, case.content_type())
        if not first.items:
            continue
        assert first.changed, case.path
        again = engine.process(case.request(), first.body, case.content_type())
        assert again.endpoint == first.endpoint and again.items == [], case.path


def test_dom_sections_present(shipped_adapters):
    for adapter in shipped_adapters.adapters:
        assert any(e.dom for e in adapter.endpoints), f"{adapter.platform} has no dom section"
