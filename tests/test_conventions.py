"""Each convention of provenance.md, checked on the shipped adapters with their own fixtures.

The fixture cases already pin every count; these tests name the convention each case stands
for, so that a fixture edited later cannot quietly drop the situation the convention is about.
"""

from __future__ import annotations

import functools

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine, Request
from feedlens.session import from_headers

PLATFORMS = paths.bundled_rules_dir() / "platforms"


@pytest.fixture(scope="module")
def engine(shipped_adapters) -> Engine:
    return Engine(shipped_adapters)


@functools.cache
def all_cases() -> tuple[fixtures.Case, ...]:
    return tuple(fixtures.discover(PLATFORMS)[0])


def case(platform: str, name: str) -> fixtures.Case:
    path = PLATFORMS / f"{platform}.fixtures" / f"{name}.yaml"
    return next(c for c in all_cases() if c.path == path)


def marks(engine: Engine, platform: str, name: str) -> dict[str, str]:
    outcome, failures = fixtures.run(engine, case(platform, name))
    assert failures == []
    return {item.id: str(item.provenance) for item in outcome.items}


def test_a_ranking_front_page_is_followed_logged_in_and_popular_logged_out(engine):
    logged_in = marks(engine, "reddit", "best-logged-in")
    logged_out = marks(engine, "reddit", "best-logged-out")
    assert logged_in.keys() == logged_out.keys()
    assert set(logged_in.values()) == {"followed", "promoted"}
    assert set(logged_out.values()) == {"popular", "promoted"}


@pytest.mark.parametrize("platform, headers, logged_in", [
    # X's web client sends its public app-only bearer token logged in and out; a guest adds
    # x-guest-token. Neither is a user's session.
    ("x", {"Authorization": "Bearer AAAA-app-only", "x-guest-token": "1"}, False),
    ("x", {"Authorization": "Bearer AAAA-app-only", "Cookie": "auth_token=v; twid=u%3D1"}, True),
    ("reddit", {"Authorization": "Basic app-credentials"}, False),
])
def test_an_app_only_or_guest_token_is_logged_out(engine, platform, headers, logged_in):
    adapter = engine.adapters.by_platform(platform)
    spec = adapter.endpoints[0].session
    facts = from_headers(headers.items())
    assert spec.logged_in(facts) is logged_in


def test_a_front_page_fetched_with_app_credentials_is_popular(engine):
    assert set(marks(engine, "reddit", "front-basic-auth").values()) == {"popular", "promoted"}


def test_an_opened_thread_is_unknown_except_followed_own_ad_or_a_recommendation_module(engine):
    found = marks(engine, "x", "tweet_detail")
    assert found["1991377702155505664"] == "unknown"      # the focal tweet
    assert found["1991402288541982720"] == "unknown"      # a ranked reply
    assert found["1991390121877024768"] == "followed"     # a reply by a followed account
    assert found["1987990457703079936"] == "promoted"     # a promoted reply
    assert found["1990611230467297280"] == "personalized"  # "Discover more"


def test_each_tweet_of_a_conversation_module_is_one_item_read_on_its_own(engine):
    # "Counting": a conversation module of several tweets counts each tweet; each is decided by
    # its own signals, the module's standing in where the tweet has none
    home = marks(engine, "x", "home")
    assert home["1991420017623543808"] == home["1991441152690438144"] == "personalized"  # ranked module
    assert home["1991446630119657472"] == "followed"      # a followed account's reply in that module
    thread = marks(engine, "x", "tweet_detail")
    assert thread["1991390121877024768"] == "followed"    # a reply thread: the followed reply
    assert thread["1991395560331788288"] == "unknown"     # and the answer by an unfollowed author
    # each suggested account of a "Who to follow" module is one item, its header none
    outcome, _ = fixtures.run(engine, case("x", "home"))
    assert [i.author for i in outcome.items if i.kind == "user-recommendation"] == ["kofi_builds", "ridgeline_wx"]


def test_own_posts_and_own_reposts_are_own(engine):
    found = marks(engine, "x", "following-injected")
    assert found["1991600000000000002"] == "own"          # the viewer's tweet
    assert found["1991377702155505664"] == "own"          # the viewer's repost of another's tweet
    assert marks(engine, "bilibili", "dynamic-feed-injected")["1138300000000000104"] == "own"
    # the viewer learned from a response about them (verify_credentials, /api/v1/me, user/me)
    # or from the access token's subject; a boost by the viewer is theirs too
    assert set(marks(engine, "mastodon", "account-statuses-viewer").values()) == {"own"}
    assert set(marks(engine, "reddit", "user-submitted-own").values()) == {"own"}
    assert set(marks(engine, "xiaohongshu", "user-posted-own").values()) == {"own"}
    assert list(marks(engine, "bluesky", "timeline-token").values()).count("own") == 3


def test_without_the_viewer_an_opened_profile_is_unknown(engine):
    assert set(marks(engine, "mastodon", "account-statuses").values()) == {"unknown"}
    assert set(marks(engine, "reddit", "user-submitted").values()) == {"unknown"}


def test_items_inserted_into_a_following_feed_are_personalized(engine):
    assert marks(engine, "x", "following-injected")["1991600000000000003"] == "personalized"
    assert marks(engine, "bilibili", "dynamic-feed-injected")["1138300000000000102"] == "personalized"


def test_without_the_viewer_an_unfollowed_author_on_a_following_feed_is_unknown(engine):
    found = marks(engine, "x", "following-injected-offline")
    assert found["1991600000000000003"] == found["1991600000000000002"] == "unknown"


def test_a_subscribed_collection_in_a_following_feed_is_followed(engine):
    assert marks(engine, "bilibili", "dynamic-feed-injected")["1138300000000000103"] == "followed"


def test_popularity_badges_on_recommended_items_stay_personalized(engine):
    for name in ("web-home-recommend", "web-home-page"):
        outcome, _ = fixtures.run(engine, case("bilibili", name))
        badged = [i for i in outcome.items if i.reason and i.reason.endswith("点赞")]
        assert badged and {str(i.provenance) for i in badged} == {"personalized"}


def test_a_recommender_home_without_a_login_stays_personalized(engine):
    body = (PLATFORMS / "bilibili.fixtures" / "web-home-recommend.json").read_bytes()
    request = Request("GET", "https://api.bilibili.com/x/web-interface/wbi/index/top/feed/rcmd?ps=12",
                      session=from_headers([("Cookie", "buvid3=visitor-id; b_nut=1")]))
    outcome = engine.process(request, body, "application/json")
    assert "personalized" in outcome.counts() and "popular" not in outcome.counts()
