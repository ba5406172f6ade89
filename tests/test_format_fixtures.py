"""Every item of every shipped fixture has an asserted format and relation (docs/format.md).

A case's `expect.format` and `expect.relation` count every item by value (fixtures.compare
checks them, tests/test_adapters.py runs it); here: that every case has both, that no item
falls back to "the adapter does not say", and that one item is one format wherever it shows.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine
from feedlens.item_format import UNDECLARED

CASES, _ = fixtures.discover(paths.platforms_dir())
PLATFORMS = sorted({c.platform for c in CASES})


@pytest.fixture(scope="module")
def outcomes(shipped_adapters):
    engine = Engine(shipped_adapters)
    return {(c.platform, c.name): fixtures.run(engine, c)[0] for c in CASES}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_case_counts_formats_and_relations(platform):
    missing = [f"{c.path}: expect.{facet}" for c in CASES if c.platform == platform
               for facet in ("format", "relation") if facet not in c.data["expect"]]
    assert missing == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_item_is_declared(outcomes, platform):
    undeclared = [f"{name} #{item.position} {item.endpoint}: {facet}"
                  for (p, name), outcome in outcomes.items() if p == platform
                  for item in outcome.items for facet in ("format", "relation")
                  if getattr(item, f"{facet}_why") == UNDECLARED]
    assert undeclared == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unknown_says_why(outcomes, platform):
    silent = [f"{name} #{item.position}: {facet}" for (p, name), outcome in outcomes.items() if p == platform
              for item in outcome.items for facet in ("format", "relation")
              if getattr(item, facet) == "unknown" and not getattr(item, f"{facet}_why")]
    assert silent == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_item_one_format_on_every_surface(outcomes, platform):
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for (p, name), outcome in outcomes.items():
        if p != platform:
            continue
        for item in outcome.items:
            if item.id and item.format != "unknown":
                seen[item.id].add((item.format, f"{name}/{item.endpoint}"))
    split = {item_id: sorted(where) for item_id, where in seen.items()
             if len({fmt for fmt, _ in where}) > 1}
    assert split == {}
