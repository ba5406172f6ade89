"""`choice.counterfactual` as rules data: which feed endpoints the opt-in paired fetch may repeat,
and which query parameters it keeps. Checked with `file:line` messages (unknown endpoint, not
GET-only, not JSON, a token-like parameter); the shipped adapters of the platforms that show
nothing on the wire list their recommend feeds; the ids of a paired body are read by the
engine's own extraction."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from feedlens.adapters import AdapterError, compile_adapter, load_adapters
from feedlens.api import classify
from feedlens.choices.counterfactual import anonymous_url
from feedlens.extract import item_ids
from feedlens.features import install
from feedlens.paths import bundled_rules_dir
from feedlens.yamlsrc import parse

from .conftest import ROOT

install()
HEADER = "title: T\nplatform: t\nversion: 1\nexpires: 30 days\nhomepage: https://e.org\nlicence: GPL-3.0-or-later\n"
ENDPOINTS = """endpoints:
  - name: home
    match: {host: a.test, path: /feed, method: GET}
    surface: home
    items: data.list
    fields: {id: id}
    provenance:
      - {default: personalized}
  - name: post-feed
    match: {host: a.test, path: /post, method: POST}
    surface: home
    items: data.list
    fields: {id: id}
    provenance:
      - {default: personalized}
"""


def adapter(choice: str):
    return compile_adapter(parse(HEADER + choice + ENDPOINTS, "t.yaml"))


def error_of(choice: str) -> str:
    with pytest.raises(AdapterError) as err:
        adapter(choice)
    return str(err.value)


def test_a_section_with_only_a_counterfactual_is_valid():
    spec = adapter("choice:\n  counterfactual:\n    endpoints: [home]\n    query: [count]\n").counterfactual
    assert spec.endpoints == {"home"} and spec.query == {"count"}
    assert spec.choice == "personalised_recommendation"


@pytest.mark.parametrize("choice, message", [
    ("choice:\n  counterfactual:\n    endpoints: [nope]\n", "t.yaml:9: no endpoint named 'nope'"),
    ("choice:\n  counterfactual:\n    endpoints: [home, post-feed]\n", "t.yaml:9: endpoint 'post-feed' must match GET only"),
    ("choice:\n  counterfactual:\n    endpoints: [home]\n    query: [count, msToken]\n",
     "t.yaml:10: query parameter 'msToken' looks like a token"),
    ("choice:\n  counterfactual:\n    query: [count]\n", "'endpoints' is a required property"),
    ("choice:\n  name: personalised_recommendation\n", "t.yaml:7: give `observe:` rules, a `counterfactual:`"),
])
def test_errors_point_at_the_line(choice, message):
    assert message in error_of(choice)


def test_the_platforms_with_nothing_on_the_wire_list_their_recommend_feeds():
    adapters = {a.platform: a for a in load_adapters([bundled_rules_dir() / "platforms"]).adapters}
    listed = {name: adapters[name].counterfactual.endpoints
              for name in ("douyin", "weibo", "zhihu", "xiaohongshu")}
    assert listed["douyin"] == {"tab-feed"} and listed["zhihu"] == {"web-recommend", "app-recommend"}
    for platform, names in listed.items():
        by_name = {e.name: e for e in adapters[platform].endpoints}
        assert all(by_name[n].methods == {"GET"} and by_name[n].body == "json" for n in names), platform
        assert adapters[platform].raw["choice"]["counterfactual"]["source"], platform
    assert all(a.counterfactual is None for a in adapters.values() if a.platform not in listed)


def test_rules_check_refuses_an_unknown_endpoint_with_file_and_line(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "platforms" / "douyin.yaml"
    text = path.read_text(encoding="utf-8")
    line = text[:text.index("endpoints: [tab-feed]")].count("\n") + 1
    path.write_text(text.replace("endpoints: [tab-feed]", "endpoints: [tab-feeds]"), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "feedlens.cli", "rules", "check", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert f"douyin.yaml:{line}:" in result.stdout and "no endpoint named 'tab-feeds'" in result.stdout


def test_the_ids_of_a_paired_body_are_the_engines_item_ids():
    case = bundled_rules_dir() / "platforms" / "douyin.fixtures"
    url = next(line for line in (case / "tab-feed.yaml").read_text().splitlines() if line.startswith("url:"))[5:]
    body = (case / "tab-feed.json").read_bytes()
    outcome = classify(url, body)
    endpoint = next(e for a in load_adapters([bundled_rules_dir() / "platforms"]).adapters
                    if a.platform == "douyin" for e in a.endpoints if e.name == "tab-feed")
    ids = item_ids(endpoint, json.loads(body))
    assert ids and ids == [item.id for item in outcome.items if item.id]


def test_only_the_listed_query_parameters_go_and_never_a_token_like_one():
    url = "https://www.douyin.com/aweme/v1/web/tab/feed/?count=10&webid=7439&msToken=abc&a_bogus=xyz&aid=6383"
    assert anonymous_url(url, frozenset({"count", "aid", "msToken"})) == \
        "https://www.douyin.com/aweme/v1/web/tab/feed/?count=10&aid=6383"
    assert anonymous_url(url) == "https://www.douyin.com/aweme/v1/web/tab/feed/?count=10&aid=6383"
    assert anonymous_url(url, frozenset()) == "https://www.douyin.com/aweme/v1/web/tab/feed/"
