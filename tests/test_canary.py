"""The unclaimed-feed canary: a feed on a platform's host that no endpoint claims is a coverage
gap, counted and shown, never passed as if checked; a claimed endpoint that finds no items in a
feed-like body reports a format change."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from feedlens import fixtures, paths
from feedlens.canary import MAX_NODES, Canary, FeedShape
from feedlens.engine import Engine, Request
from feedlens.model import UNCLAIMED, Provenance

from .test_addon import DEMO, addon, flow, free_port, running, through  # noqa: F401 (fixtures)
from .test_runtime import rules  # noqa: F401  (fixture)

# Lists whose entries are not posts: users, links and tags are not what the canary looks for.
NOT_POSTS = {("bilibili", "search-type-user"), ("mastodon", "trends-links"),
             ("mastodon", "trends-tags"), ("bluesky", "suggestions"),
             ("bluesky", "suggestions-logged-out"), ("bluesky", "suggestions-explore")}


def feed_cases() -> list:
    cases, _ = fixtures.discover(paths.platforms_dir())
    return [c for c in cases if c.body_path().suffix == ".json"
            and isinstance(c.data["expect"].get("count"), int) and c.data["expect"]["count"] >= 2
            and (c.platform, c.name) not in NOT_POSTS]


def elsewhere(url: str, shape: FeedShape) -> str:
    """The same host, a path no endpoint claims (inside the API paths of any-host platforms)."""
    parts = urlsplit(url)
    prefix = shape.paths[0] if shape.paths else "/"
    return f"{parts.scheme}://{parts.netloc}{prefix}feedlens-unknown-surface"


@pytest.fixture(scope="module")
def engine(shipped_adapters):
    return Engine(shipped_adapters)


@pytest.mark.parametrize("case", feed_cases(), ids=lambda c: f"{c.platform}/{c.name}")
def test_a_feed_on_an_unknown_path_of_the_platform_host_is_unclaimed(engine, case):
    shape = engine.adapters.canary.by_platform[case.platform]
    request = case.request()
    moved = Request(request.method, elsewhere(request.url, shape), request.body, request.content_type)
    body = case.body_path().read_bytes()
    outcome = engine.process(moved, body, "application/json")
    assert outcome.endpoint == UNCLAIMED and outcome.platform == case.platform
    assert not outcome.changed and outcome.body is None  # passes unchanged
    assert outcome.unclaimed >= 2 and len(outcome.items) == outcome.unclaimed
    assert {i.provenance for i in outcome.items} == {Provenance.UNKNOWN}
    assert {i.reason for i in outcome.items} == {"no adapter for this surface"}


def test_every_platform_has_a_canary(shipped_adapters):
    assert set(shipped_adapters.canary.by_platform) == {a.platform for a in shipped_adapters.adapters}


def test_the_same_body_elsewhere_is_not_a_platform_feed(engine):
    body = (paths.platforms_dir() / "bilibili.fixtures" / "popular.json").read_bytes()
    outcome = engine.process(Request("GET", "https://cdn.example.org/x/list"), body, "application/json")
    assert outcome.endpoint is None and outcome.reason == "not a feed endpoint"


def test_any_host_platforms_are_recognised_on_their_api_paths_only(engine):
    body = (paths.platforms_dir() / "mastodon.fixtures" / "home.json").read_bytes()
    on_api = engine.process(Request("GET", "https://social.example/api/v1/timelines/list/9/x"),
                            body, "application/json")
    off_api = engine.process(Request("GET", "https://social.example/some/page"), body,
                             "application/json")
    assert on_api.endpoint == UNCLAIMED and on_api.platform == "mastodon"
    assert off_api.endpoint is None


def test_a_claimed_endpoint_that_finds_nothing_in_a_feed_reports_a_format_change(engine):
    doc = json.loads((paths.platforms_dir() / "bilibili.fixtures" / "popular.json").read_text())
    doc["data"]["renamed_list"] = doc["data"].pop("list")  # the platform renamed its list
    url = "https://api.bilibili.com/x/web-interface/popular?pn=1"
    outcome = engine.process(Request("GET", url), json.dumps(doc).encode(), "application/json")
    assert outcome.endpoint == "popular" and outcome.items == []
    assert outcome.unclaimed == 4 and "format change" in outcome.reason
    intact = engine.process(Request("GET", url), (paths.platforms_dir() / "bilibili.fixtures"
                                                   / "popular.json").read_bytes(), "application/json")
    assert intact.unclaimed == 0 and len(intact.items) == 4


def test_host_and_path_matching():
    shape = FeedShape("p", "1", frozenset({"k"}), 2, ("*.example.com", "api.other.org"), ())
    anyhost = FeedShape("q", "1", frozenset({"k"}), 2, ("*",), ("/api/v1/",))
    silent = FeedShape("r", "1", frozenset({"k"}), 2, ("*",), ())  # any host, no paths: ignored
    canary = Canary([shape, anyhost, silent])
    assert canary.shape_for("www.example.com", "/x") is shape
    assert canary.shape_for("EXAMPLE.com", "/x") is shape
    assert canary.shape_for("api.other.org", "/x") is shape
    assert canary.shape_for("other.org", "/x") is None
    assert canary.shape_for("elsewhere.net", "/api/v1/timelines") is anyhost
    assert canary.shape_for("elsewhere.net", "/index.json") is None


def test_items_are_counted_in_the_largest_list_and_the_scan_is_bounded():
    shape = FeedShape("p", "1", frozenset({"vid"}), 2, ("a.test",), ())
    assert shape.count({"a": [{"vid": 1}], "b": {"c": [{"x": {"y": {"vid": 2}}}, {"vid": 3}, {}]}}) == 2
    assert shape.count({"a": [{"x": {"y": {"z": {"w": {"vid": 1}}}}}] * 5}) == 0  # too deep
    assert shape.count([{"vid": 1}]) == 0  # one is not a feed
    huge = [{"vid": i} for i in range(MAX_NODES * 3)]
    assert 2 <= shape.count({"list": huge}) <= MAX_NODES


async def test_the_proxy_passes_an_unclaimed_feed_unchanged_and_shows_the_gap(running):
    f = await through(running, flow(DEMO, "https://api.demo.test/feed/other?page=2"))
    assert f.response.content == DEMO
    health = running.runtime.health()["coverage"]
    [gap] = health["unclaimed"]
    assert (gap["host"], gap["path"], gap["items"], gap["platform"]) == (
        "api.demo.test", "/feed/other", 5, "demo")
    assert gap["report"] == "feedlens unclaimed: api.demo.test/feed/other items=5 responses=1 adapter=demo@1"
    assert "page=2" not in gap["report"]  # content-free: no query string
    await running.runtime.store.flush()
    logged = await running.runtime.store.items(limit=10, surface=UNCLAIMED)
    assert len(logged) == 5 and {r["provenance"] for r in logged} == {"unknown"}
    assert running.runtime.counters.items_marked == 0  # placeholders are not marks


async def test_a_non_json_body_on_a_platform_host_is_not_scanned(running):
    f = await through(running, flow(b"<html>" + DEMO, "https://api.demo.test/page",
                                    content_type="text/html"))
    assert f.response.content.startswith(b"<html>")
    assert running.runtime.health()["coverage"]["unclaimed"] == []


def test_classify_prints_the_unclaimed_line(tmp_path, capsys):
    from feedlens.cli import main

    body = tmp_path / "body.json"
    body.write_bytes((paths.platforms_dir() / "bilibili.fixtures" / "popular.json").read_bytes())
    assert main(["classify", "--url", "https://api.bilibili.com/x/feedlens-unknown?pn=2",
                 str(body)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("feedlens unclaimed: api.bilibili.com/x/feedlens-unknown items=4 ")
    assert out.endswith("passed unchanged") and "pn=2" not in out
