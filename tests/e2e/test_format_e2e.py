"""Rules on format and relation through the real proxy (issue 21), over the shipped fixtures.

"Hide short videos except from my channels" on YouTube home, search, watch-next and a
continuation, Bilibili home and search, Douyin and Xiaohongshu feeds; "followed feeds: originals
only" on X, Mastodon, Bluesky, Weibo and Bilibili dynamics. The allowlist is the author of the
first short of each case, so every case keeps one author's shorts and loses the others'.
"""

from __future__ import annotations

import functools

import pytest

from feedlens import fixtures, paths
from feedlens.adapters import load_adapters
from feedlens.continuations import ContinuationMemory
from feedlens.engine import Engine

from .conftest import start_feedlens
from .replay import served_cases

pytestmark = pytest.mark.e2e

SERVED = {c[6].path: c[6] for c in served_cases()}
SHORTS_SURFACES = {"youtube": {"home", "search", "related", "continuation"}, "bilibili": {"home", "search"},
                   "douyin": None, "xiaohongshu": None}  # None: any feed surface
ORIGINALS_PLATFORMS = ("x", "mastodon", "bluesky", "weibo", "bilibili")


@functools.cache
def _adapters():
    return load_adapters([paths.platforms_dir()])


def _engine() -> Engine:
    return Engine(_adapters())


def marked(case, body: bytes) -> list:
    """The items of `body` as the fixture's request reads them (mark only; a continuation is
    read after its earlier page, as the proxy saw it)."""
    engine = _engine()
    request = case.request(engine)
    context = case.data.get("context")
    if context is not None:
        memory = ContinuationMemory()
        earlier_body = (case.path.parent / context["body"]).read_bytes()
        earlier = engine.process(fixtures.exchange_request(context, engine), earlier_body,
                                 fixtures.content_type_of(case.path.parent / context["body"]))
        engine.remember(memory, None, earlier)
        engine.recall(memory, None, request)
    return engine.process(request, body, case.content_type()).items


def _cases_with(predicate) -> list:
    return [case for case in SERVED.values() if predicate(case, marked(case, case.body_path().read_bytes()))]


def _has_two_short_authors(case, items) -> bool:
    surfaces = SHORTS_SURFACES.get(case.platform, ())
    shorts = {i.author_id for i in items if i.format == "short_video" and i.author_id}
    return surfaces != () and (surfaces is None or items[0].surface in surfaces) and len(shorts) >= 2 \
        if items else False


SHORT_CASES = _cases_with(_has_two_short_authors)
ALLOWED = {case.path: next(i.author_id for i in marked(case, case.body_path().read_bytes())
                           if i.format == "short_video" and i.author_id) for case in SHORT_CASES}


def _fetch(feedlens, case) -> bytes:
    """The case's response through the proxy (its earlier page first, for a continuation)."""
    for data in filter(None, (case.data.get("context"), case.data)):
        request = fixtures.exchange_request(data)
        headers = {"content-type": request.content_type} if request.body else {}
        headers.update(data.get("request_headers", {}))
        try:
            status, _, body = feedlens.fetch(data["url"], headers, request.body)
        except OSError:
            continue  # an earlier page the replay server does not serve: the continuation is unseen
    assert status == 200
    return body


@pytest.fixture(scope="module")
def shorts_proxy(replay, certs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shorts")
    allowed = sorted(set(ALLOWED.values()))
    profile = tmp / "no-shorts.yaml"
    profile.write_text(
        "title: No short videos except my channels\nversion: 1\nrules:\n"
        f"  - {{id: my-channels, when: {{format: short_video, author: {allowed!r}}}, action: keep}}\n"
        "  - {id: no-shorts, when: {format: short_video}, action: hide}\n", encoding="utf-8")
    instance = start_feedlens(tmp, replay, certs / "ca.pem", "--profile", str(profile))
    yield instance
    instance.proc.stop()


def _labels(case) -> set[str]:
    """The case's surface, and "continuation" when its request continues an earlier page."""
    request_body = case.data.get("request_body")
    later_page = "context" in case.data or isinstance(request_body, dict) and "continuation" in request_body
    return {marked(case, case.body_path().read_bytes())[0].surface} | ({"continuation"} if later_page else set())


def test_the_acceptance_surfaces_have_shorts_from_two_authors():
    found = {(c.platform, label) for c in SHORT_CASES for label in _labels(c)}
    for platform, surfaces in SHORTS_SURFACES.items():
        wanted = {(platform, s) for s in surfaces} if surfaces else None
        assert (wanted <= found) if wanted else any(p == platform for p, _ in found), (platform, found)


@pytest.mark.parametrize("case", SHORT_CASES, ids=lambda c: f"{c.platform}/{c.name}")
def test_short_videos_hidden_except_from_the_allowlist(shorts_proxy, case):
    before = marked(case, case.body_path().read_bytes())
    after = marked(case, _fetch(shorts_proxy, case))
    allowed = set(ALLOWED.values())
    kept_shorts = [i.id for i in before if i.format == "short_video" and i.author_id in allowed]
    others = [i.id for i in before if i.format != "short_video"]
    assert [i.id for i in after if i.format == "short_video"] == kept_shorts
    assert kept_shorts and len(kept_shorts) < sum(i.format == "short_video" for i in before)
    assert [i.id for i in after if i.format != "short_video"] == others


def _followed_with_every_relation(case, items) -> bool:
    followed = [i for i in items if i.provenance == "followed"]
    relations = {i.relation for i in followed}
    return case.platform in ORIGINALS_PLATFORMS and "original" in relations and len(relations) >= 2


ORIGINALS_CASES = _cases_with(_followed_with_every_relation)


@pytest.fixture(scope="module")
def originals_proxy(replay, certs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("originals")
    profile = tmp / "originals.yaml"
    profile.write_text(
        "title: Followed feeds, originals only\nversion: 1\nrules:\n"
        "  - {id: originals-only, when: {provenance: followed, relation: [repost, reply, quote]}, action: hide}\n",
        encoding="utf-8")
    instance = start_feedlens(tmp, replay, certs / "ca.pem", "--profile", str(profile))
    yield instance
    instance.proc.stop()


def test_every_platform_has_a_followed_feed_with_reposts_replies_or_quotes():
    assert {c.platform for c in ORIGINALS_CASES} == set(ORIGINALS_PLATFORMS)


@pytest.mark.parametrize("case", ORIGINALS_CASES, ids=lambda c: f"{c.platform}/{c.name}")
def test_followed_feeds_keep_originals_only(originals_proxy, case):
    before = marked(case, case.body_path().read_bytes())
    after = marked(case, _fetch(originals_proxy, case))
    hidden = [i.id for i in before if i.provenance == "followed" and i.relation in ("repost", "reply", "quote")]
    assert hidden and not set(hidden) & {i.id for i in after}
    assert [i.id for i in after] == [i.id for i in before if i.id not in hidden]
