"""The coverage matrix's formats column: per surface, the formats of the items its fixture cases
on its own path extract (run through the real engine), in the terminal report and the Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from feedlens import coverage, coverage_report, paths
from tests.service_support import ADAPTER

from .test_cli import feedlens

FORMATS = "    format:\n      - {when: \"short\", is: short_video}\n      - {default: video}\n"
COVERAGE = """\
platforms:
  demo:
    surfaces:
      - id: home
        description: home feed
        sample: https://api.demo.test/feed/home
        endpoint: home
      - id: search
        description: search results
        sample: https://api.demo.test/search
        endpoint: search
      - id: trending
        description: trending
        missing: not read yet
"""


def demo_rules(root: Path, home_items: list[dict]) -> Path:
    """A rules dir with the demo adapter (its home endpoint tells short videos from videos, its
    search endpoint says nothing), a fixture case per endpoint and a coverage file."""
    platforms = paths.platforms_dir(root)
    (platforms / "demo.fixtures").mkdir(parents=True)
    adapter = ADAPTER.replace("    fields: {id: id, title: title}\n",
                              "    fields: {id: id, title: title}\n" + FORMATS, 1)
    (platforms / "demo.yaml").write_text(adapter, encoding="utf-8")
    cases = {"home": ("https://api.demo.test/feed/home", home_items),
             "search": ("https://api.demo.test/search?q=x", [{"id": "s1"}])}
    for name, (url, items) in cases.items():
        (platforms / "demo.fixtures" / f"{name}.json").write_text(
            json.dumps({"data": {"list": items}}), encoding="utf-8")
        (platforms / "demo.fixtures" / f"{name}.yaml").write_text(
            f"url: {url}\nexpect:\n  endpoint: {name}\n  count: {len(items)}\n", encoding="utf-8")
    (root / "coverage.yaml").write_text(COVERAGE, encoding="utf-8")
    return root


def rows_by_id(matrix: coverage.Matrix) -> dict[str, coverage.Row]:
    return {r.surface.id: r for r in matrix.rows}


def test_each_surface_lists_the_formats_its_fixtures_show(tmp_path):
    rules = demo_rules(tmp_path / "rules", [{"id": "a", "short": True}, {"id": "b"}, {"id": "c"}])
    matrix = coverage.evaluate(rules / "coverage.yaml", rules)
    assert matrix.problems == []
    rows = rows_by_id(matrix)
    assert rows["home"].formats == ("short_video", "video")  # in the vocabulary's order
    assert rows["search"].formats == ("unknown",)  # the endpoint does not say
    assert rows["trending"].formats == ()  # missing: no fixture to run
    markdown = coverage_report.markdown(matrix)
    assert "| endpoint or reason | formats |" in markdown
    assert "| ✅ claimed, fixture | home | short_video, video |" in markdown
    assert "| ✅ claimed, fixture | search | unknown |" in markdown
    assert "| ❌ missing | not read yet | — |" in markdown
    assert "Formats: 1 of 2 surfaces with items in their fixtures show a known format" in markdown


def test_a_surface_whose_fixtures_have_no_items_shows_a_dash(tmp_path):
    rules = demo_rules(tmp_path / "rules", [])
    matrix = coverage.evaluate(rules / "coverage.yaml", rules)
    home = rows_by_id(matrix)["home"]
    assert home.state == coverage.FIXTURE and home.formats == ()
    assert coverage_report.formats(home) == "—"


def test_the_terminal_report_shows_the_formats(tmp_path):
    rules = demo_rules(tmp_path / "rules", [{"id": "a", "short": True}])
    result = feedlens("coverage", rules=rules)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:1] == ["home"] and line.endswith("[short_video]") for line in lines)
    assert lines[-2].startswith("Formats: 1 of 2") and lines[-1].endswith("missing")
