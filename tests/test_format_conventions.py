"""Each convention of format.md (../shared/reference), checked on the shipped adapters.

The fixture cases pin every count; these tests name the convention each case stands for, so a
fixture edited later cannot quietly drop the situation the convention is about. Where no
fixture holds the situation (a long portrait Reddit video), a small response is built here.
"""

from __future__ import annotations

import functools
import json

import pytest

from feedlens import fixtures, paths
from feedlens.engine import Engine, Request

PLATFORMS = paths.bundled_rules_dir() / "platforms"


@pytest.fixture(scope="module")
def engine(shipped_adapters) -> Engine:
    return Engine(shipped_adapters)


@functools.cache
def all_cases() -> tuple[fixtures.Case, ...]:
    return tuple(fixtures.discover(PLATFORMS)[0])


def formats(engine: Engine, platform: str, name: str) -> dict[str, tuple[str, str]]:
    """Item id -> (format, format_why) for one fixture case, run as the proxy would."""
    path = PLATFORMS / f"{platform}.fixtures" / f"{name}.yaml"
    outcome, failures = fixtures.run(engine, next(c for c in all_cases() if c.path == path))
    assert failures == []
    return {item.id: (item.format, item.format_why) for item in outcome.items}


@pytest.mark.parametrize("platform, case, portrait, landscape", [
    ("x", "home", "1991300418207981568", "1988002214003851265"),
    ("mastodon", "public", "113600000000000500", "113600000000000300"),
    ("reddit", "all", "t3_1gs1d0d", None),
])
def test_a_portrait_video_is_a_short_video_a_landscape_one_a_video(engine, platform, case, portrait,
                                                                   landscape):
    seen = formats(engine, platform, case)
    assert seen[portrait][0] == "short_video"
    assert "portrait" in seen[portrait][1]
    if landscape:
        assert seen[landscape][0] == "video"


def test_a_portrait_bluesky_video_embed_is_a_short_video(engine):
    seen = formats(engine, "bluesky", "list-feed")
    assert [fmt for fmt, _ in seen.values()].count("short_video") == 1
    # the landscape (1920x1080) video embed of the timeline stays a video
    assert "video" in {fmt for fmt, _ in formats(engine, "bluesky", "timeline").values()}


def reddit_listing(post: dict) -> bytes:
    base = {"name": "t3_portrait1", "id": "portrait1", "subreddit_name_prefixed": "r/Filmmakers",
            "author": "clipmaker", "title": "A long vertical walk-through", "is_self": False,
            "created_utc": 1763660000, "permalink": "/r/Filmmakers/comments/portrait1/x/"}
    child = {"kind": "t3", "data": base | post}
    return json.dumps({"kind": "Listing", "data": {"children": [child], "after": None}}).encode()


def test_a_portrait_reddit_video_is_a_short_video_whatever_its_length(engine):
    video = {"is_video": True, "domain": "v.redd.it", "post_hint": "hosted:video",
             "secure_media": {"reddit_video": {"height": 1920, "width": 1080, "duration": 600,
                                               "is_gif": False}}}
    request = Request(method="GET", url="https://www.reddit.com/r/all.json")
    item, = engine.process(request, reddit_listing(video), "application/json").items
    assert (item.format, item.duration_s) == ("short_video", 600)
    video["secure_media"]["reddit_video"] |= {"height": 1080, "width": 1920}
    item, = engine.process(request, reddit_listing(video), "application/json").items
    assert item.format == "video"


def test_every_douyin_video_is_the_short_video_product_landscape_and_long_too(engine):
    seen = formats(engine, "douyin", "related")
    assert seen["7579800112233445734"][0] == "short_video"  # 1920x1080, 486 s


@pytest.mark.parametrize("platform, case, item_id", [
    ("x", "list_latest", "1994147011287511040"),  # a player card
    ("mastodon", "public", "113600000000000400"),  # a status card of type video
    ("mastodon", "trends-links", "https://www.youtube.com/watch?v=Hk3pQ9vLm2A"),  # a trending card
])
def test_an_embedded_player_is_a_video_not_a_link(engine, platform, case, item_id):
    assert formats(engine, platform, case)[item_id][0] == "video"


@pytest.mark.parametrize("case", ["browse-podcasts", "browse-podcasts-graft", "trending-html-podcasts"])
def test_a_podcasts_destination_shows_audio_and_its_ads_what_they_show(engine, case):
    seen = formats(engine, "youtube", case)
    episodes = {fmt for item_id, (fmt, _) in seen.items() if item_id != "aD7kP2sL9qW"}
    assert episodes == {"audio"}
    if "aD7kP2sL9qW" in seen:
        assert seen["aD7kP2sL9qW"][0] == "video"  # the Ad badge: a video ad



def weibo_timeline(orientation: str) -> bytes:
    status = {"idstr": "5241800099990001", "mblogid": "Pq8RkT2vX", "text_raw": "a clip",
              "created_at": "Sat Nov 22 09:00:00 +0800 2025",
              "user": {"idstr": "3301100999", "screen_name": "clip_maker", "following": True},
              "page_info": {"object_type": "video", "type": "video",
                            "media_info": {"duration": 240, "video_orientation": orientation}}}
    return json.dumps({"ok": 1, "statuses": [status]}).encode()


def test_a_weibo_video_the_data_says_is_portrait_is_a_short_video(engine):
    request = Request(method="GET", url="https://weibo.com/ajax/feed/friendstimeline?list_id=1")
    item, = engine.process(request, weibo_timeline("vertical"), "application/json").items
    assert (item.format, item.duration_s) == ("short_video", 240)
    item, = engine.process(request, weibo_timeline("horizontal"), "application/json").items
    assert item.format == "video"


def zhihu_recommend(width: int, height: int) -> bytes:
    card = {"id": "0_1763700006.117", "type": "feed", "verb": "TOPIC_ACKNOWLEDGED_ZVIDEO",
            "target": {"id": "1851400000000000099", "type": "zvideo", "title": "竖屏演示",
                       "author": {"id": "0c9d8e7f6a5b4c3d", "name": "陈老师", "is_following": False},
                       "video": {"video_id": "1851399990000000099", "duration": 95,
                                 "width": width, "height": height}}}
    return json.dumps({"data": [card], "paging": {"is_end": False}}).encode()


def test_a_zhihu_video_the_data_says_is_portrait_is_a_short_video(engine):
    request = Request(method="GET", url="https://www.zhihu.com/api/v3/feed/topstory/recommend?desktop=true")
    item, = engine.process(request, zhihu_recommend(1080, 1920), "application/json").items
    assert (item.format, item.duration_s) == ("short_video", 95)
    item, = engine.process(request, zhihu_recommend(1920, 1080), "application/json").items
    assert item.format == "video"
