"""The coverage matrix (rules/coverage.yaml): every claim holds, docs/coverage.md is current,
the schema is strict, and `feedlens coverage` reports without failing on missing surfaces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from feedlens import coverage, coverage_report

from .conftest import ROOT
from .test_cli import feedlens
from .test_cli_errors import assert_one_line_error

RULES = ROOT / "rules"
DOC = ROOT / "docs" / "coverage.md"


@pytest.fixture(scope="module")
def matrix() -> coverage.Matrix:
    return coverage.evaluate(coverage.coverage_file(RULES), RULES)


def test_every_claim_routes_its_sample_and_has_a_fixture(matrix):
    assert matrix.problems == []


def test_every_required_platform_is_listed(matrix):
    assert set(matrix.platforms()) == {"bilibili", "x", "youtube", "reddit", "mastodon", "bluesky",
                                       "weibo", "douyin", "xiaohongshu", "zhihu"}


def test_missing_surfaces_carry_a_reason(matrix):
    for row in matrix.rows:
        if row.state == coverage.MISSING:
            assert row.surface.missing.strip(), row.surface.id
        else:
            assert row.surface.endpoint and row.surface.sample


def test_docs_coverage_md_is_current(tmp_path):
    out = tmp_path / "coverage.md"
    result = feedlens("coverage", "--write", out)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8"), (
        "docs/coverage.md is stale: run `feedlens coverage --write docs/coverage.md`")


def test_cli_prints_matrix_and_summary():
    result = feedlens("coverage")
    assert result.returncode == 0, result.stderr
    assert "missing" in result.stdout and "claimed, fixture" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("missing")


def _rules_copy(tmp_path: Path, coverage_text: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES / "platforms", rules / "platforms")
    (rules / "coverage.yaml").write_text(coverage_text, encoding="utf-8")
    return rules


GOOD = """\
platforms:
  mastodon:
    surfaces:
      - id: home
        description: home timeline
        sample: https://mastodon.example/api/v1/timelines/home
        endpoint: home
"""


def test_schema_refuses_unknown_key_with_file_and_line(tmp_path):
    path = tmp_path / "coverage.yaml"
    path.write_text(GOOD + "        sampel: https://x.test/\n", encoding="utf-8")
    with pytest.raises(coverage.CoverageError) as exc:
        coverage.load_surfaces(path)
    assert exc.value.messages[0].startswith(f"{path}:8: ")
    assert "sampel" in exc.value.messages[0]


def test_schema_requires_a_reason_or_an_endpoint(tmp_path):
    path = tmp_path / "coverage.yaml"
    path.write_text(GOOD.replace("        endpoint: home\n", ""), encoding="utf-8")
    with pytest.raises(coverage.CoverageError):
        coverage.load_surfaces(path)
    path.write_text(GOOD.replace("endpoint: home", "missing: ''"), encoding="utf-8")
    with pytest.raises(coverage.CoverageError):
        coverage.load_surfaces(path)


def test_schema_refuses_duplicate_ids(tmp_path):
    path = tmp_path / "coverage.yaml"
    path.write_text(GOOD + GOOD.split("surfaces:\n")[1], encoding="utf-8")
    with pytest.raises(coverage.CoverageError) as exc:
        coverage.load_surfaces(path)
    assert "duplicate surface id 'home'" in exc.value.messages[0]


@pytest.mark.parametrize("change, needle", [
    (("endpoint: home", "endpoint: list"), "claimed by mastodon/home, not mastodon/list"),
    (("/timelines/home", "/timelines/nowhere"), "claimed by no endpoint"),
    (("endpoint: home", "missing: not yet"), "listed as missing, but its sample is claimed by mastodon/home"),
])
def test_a_claim_that_does_not_hold_is_a_problem(tmp_path, change, needle):
    rules = _rules_copy(tmp_path, GOOD.replace(*change))
    found = coverage.evaluate(rules / "coverage.yaml", rules)
    assert len(found.problems) == 1 and needle in found.problems[0]
    assert found.problems[0].startswith(f"{rules / 'coverage.yaml'}:")


def test_a_claimed_endpoint_without_fixture_is_a_problem(tmp_path):
    rules = _rules_copy(tmp_path, GOOD)
    for case in (rules / "platforms" / "mastodon.fixtures").glob("home*.yaml"):
        case.unlink()
    found = coverage.evaluate(rules / "coverage.yaml", rules)
    assert any("mastodon/home has no fixture case" in p for p in found.problems)


def test_cli_exit_codes(tmp_path):
    rules = _rules_copy(tmp_path, GOOD.replace("endpoint: home", "missing: not yet").replace(
        "/timelines/home", "/timelines/elsewhere"))
    result = feedlens("coverage", rules=rules)
    assert result.returncode == 0, result.stderr
    assert "1 surfaces on 1 platforms: 0 claimed" in result.stdout
    (rules / "coverage.yaml").write_text(GOOD.replace("description", "descripton"), encoding="utf-8")
    assert_one_line_error(feedlens("coverage", rules=rules), "coverage.yaml:4:", "description")


def test_markdown_names_states_and_sources(matrix):
    text = coverage_report.markdown(matrix)
    assert text.startswith("# Coverage")
    assert "rules/coverage.yaml" in text and "Fixtures modelled on:" in text
    assert text.count("\n## ") == len(matrix.platforms())
