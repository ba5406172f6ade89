"""Every fixture case of every platform under a profile that hides everything (issue 19): a page
whose endpoint declares a `placeholder:` and whose `when` holds keeps exactly one card, which
shows nothing of the hidden items, is not an item itself (a second pass finds no item and adds
no card), and leaves everything outside the item lists (cursors, paging) as it was. Endpoints
that opt out and pages that say they are the last one get no card: both are listed below."""

from __future__ import annotations

import json

import pytest

from feedlens import embedded, fixtures, paths, placeholder
from feedlens.engine import Engine
from feedlens.extract import locate
from feedlens.placeholder import MESSAGES
from feedlens.profiles import compile_profile
from feedlens.yamlsrc import parse

HIDE_ALL = compile_profile(parse("title: t\nversion: 1\nrules:\n  - {id: all, action: hide}\n", "all.yaml"))
CASES, _ = fixtures.discover(paths.platforms_dir())

# `placeholder: none`, with the reason given at the endpoint (the adapter says more).
NO_PLACEHOLDER = {
    "bilibili/popular-selected": "one editorial list (入站必刷, one 每周必看 issue), no next page",
    "bilibili/ranking-region": "one ranking list, no next page",
    "bilibili/video-related": "the related list beside a video, no next page",
    "bilibili/video-view-detail": "the related list beside a video, no next page",
    "bilibili/space-arc-search": "numbered pages drawn from data.page.count, which stays",
    "bilibili/search-type": "numbered result pages drawn from numPages, which stays",
    "bilibili/search-all": "numbered result pages drawn from numPages, which stays",
    "bluesky/post-thread": "a thread: one answer, no next page",
    "bluesky/post-thread-v2": "a thread: one answer, no next page",
    "bluesky/popular-feed-generators": "a feed card would offer to pin or like the hidden feed",
    "bluesky/suggested-feeds": "a feed card would offer to pin or like the hidden feed",
    "bluesky/suggestions": "an account card would offer to follow the hidden account",
    "mastodon/search": "results of a query, paged by a button, three lists of different entities",
    "mastodon/trends-tags": "a hashtag's name is what clients open /tags/NAME with",
    "mastodon/trends-links": "one list of news links the web client never pages",
    "weibo/hot-search": "a list of search words, no next page",
    "weibo/hot-band": "a list of search words, no next page",
    "douyin/hot-search": "a list of search words, no next page",
    "xiaohongshu/hot-list": "a list of search words, no next page",
    "zhihu/hot-list": "one ranked board, no next page",
    "zhihu/hot-search": "a list of search words, no next page",
    "zhihu/related-questions": "the related questions beside a question, no next page",
    "zhihu/search": "results mix people and content: a copied person keeps its Follow button",
    "youtube/shorts-sequence": "the Shorts queue holds video ids, no text to carry the note",
    "youtube/shorts-html": "the Shorts queue holds video ids, no text to carry the note",
    "youtube/charts": "one chart, no next page",
}

# Pages whose endpoint declares a card but whose `when` says there is no next page.
LAST_PAGE = {
    "bilibili/ranking-v2",                # /ranking/v2 (the `popular` endpoint): no no_more
    "douyin/related",                     # has_more false
    "douyin/user-post-own",               # has_more 0: the viewer's few works, all on this page
    "reddit/search",                      # data.after null: the last page of results
    "reddit/search-oauth",
}

# Keys whose string values a person sees of an item: text, titles, names, pictures, links.
VISIBLE = {
    "title", "display_title", "preview_title", "page_title", "text", "text_raw", "raw_text", "content",
    "desc", "description", "summary", "excerpt", "excerpt_new", "excerpt_title", "detail", "selftext",
    "full_text", "body", "caption", "note", "simpleText", "label", "action_text", "reason_text",
    "name", "nickname", "nick_name", "uname", "author", "up_name", "screen_name", "display_name",
    "displayName", "username", "acct", "handle", "author_name", "headline", "signature", "source",
    "region_name", "pub_location", "face", "avatar", "avatar_static", "avatar_url", "avatar_thumb",
    "avatar_large", "avatar_hd", "profile_image_url", "images", "pic", "cover", "image", "thumbnail",
    "thumb", "page_pic", "src", "url_list", "url", "jump_url", "link", "page_url", "profile_url",
    "share_url", "canonicalBaseUrl",
}
# a key that is an identifier on that platform, kept as the item's id
KEPT = {"reddit": {"name"},                # a fullname (t3_…)
        "zhihu": {"url"}}                  # an API address (api.zhihu.com/answers/ID)


def visible_strings(node, platform: str, found: set | None = None) -> set[str]:
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key in VISIBLE and key not in KEPT.get(platform, ()):
                for text in (value if isinstance(value, list) else [value]):
                    if isinstance(text, str) and len(text.strip()) >= 2:
                        found.add(text)
            visible_strings(value, platform, found)
    elif isinstance(node, list):
        for value in node:
            visible_strings(value, platform, found)
    return found


def endpoint_of(engine: Engine, case, name: str):
    return next(e for e in engine.adapters.endpoints if e.platform == case.platform and e.name == name)


def documents(endpoint, body: bytes, html: bool) -> list:
    if not html:
        return [json.loads(body)]
    text = body.decode()
    return [embedded.decode(text, span) for span in embedded.find_spans(text, endpoint.embedded)]


def run(engine: Engine, case, body: bytes):
    """fixtures.run with another body (the case's earlier page, if any, first)."""
    request = case.request(engine)
    context = case.data.get("context")
    if context is not None:
        from feedlens.continuations import ContinuationMemory
        earlier_request = fixtures.exchange_request(context, engine)
        earlier_body = (case.path.parent / context["body"]).read_bytes()
        request.viewer = request.viewer or engine.viewer_in(earlier_request, earlier_body)
        memory = ContinuationMemory()
        engine.remember(memory, None, engine.process(earlier_request, earlier_body,
                                                     fixtures.content_type_of(case.path.parent / context["body"])))
        engine.recall(memory, None, request)
    return engine.process(request, body, case.content_type())


def without_card(endpoint, doc) -> tuple[dict, object]:
    """The card (its node) and the document with the card's list element taken out."""
    cards = [loc for loc in locate(endpoint, doc) if placeholder.is_placeholder(endpoint.placeholder, loc.node)]
    assert len(cards) == 1, f"{len(cards)} cards"
    container, element = cards[0].group or (cards[0].container, cards[0].element)
    container.remove(element)
    return cards[0].node, element


@pytest.fixture(scope="module")
def engine(shipped_adapters) -> Engine:
    return Engine(shipped_adapters, HIDE_ALL)


def test_the_lists_name_real_endpoints_and_cases(engine):
    declared = {f"{e.platform}/{e.name}" for e in engine.adapters.endpoints}
    assert set(NO_PLACEHOLDER) <= declared
    for case in CASES:
        if f"{case.platform}/{case.name}" in LAST_PAGE:
            endpoint = endpoint_of(engine, case, case.data["expect"]["endpoint"])
            assert endpoint.placeholder is not None and endpoint.placeholder.when is not None, case.name
    assert LAST_PAGE <= {f"{c.platform}/{c.name}" for c in CASES}
    for e in engine.adapters.endpoints:
        assert (e.placeholder is None) == (f"{e.platform}/{e.name}" in NO_PLACEHOLDER), e.name


@pytest.mark.parametrize("case", CASES, ids=[f"{c.platform}/{c.name}" for c in CASES])
def test_an_emptied_page_keeps_one_card_that_shows_nothing_hidden(case, engine, monkeypatch):
    body = case.body_path().read_bytes()
    html = case.body_path().suffix == ".html"
    outcome = run(engine, case, body)
    endpoint = endpoint_of(engine, case, outcome.endpoint)
    assert outcome.items and all(i.decision == "hide" for i in outcome.items)
    if endpoint.placeholder is None or f"{case.platform}/{case.name}" in LAST_PAGE:
        assert outcome.placeholders == 0
        assert not any(placeholder.is_placeholder(endpoint.placeholder, loc.node)
                       for doc in documents(endpoint, outcome.body or body, html) for loc in locate(endpoint, doc))
        return
    assert outcome.placeholders == 1 and outcome.body is not None

    # nothing a person would see of the hidden items is in the card
    lang = "zh" if endpoint.lang.startswith("zh") else "en"
    message = MESSAGES[lang].format(hidden=len(outcome.items))
    hidden = set()
    for doc in documents(endpoint, body, html):
        for loc in locate(endpoint, doc):
            visible_strings(loc.node, case.platform, hidden)
    rewritten = documents(endpoint, outcome.body, html)
    with_card = [doc for doc in rewritten
                 if any(placeholder.is_placeholder(endpoint.placeholder, loc.node) for loc in locate(endpoint, doc))]
    assert len(with_card) == 1
    node, element = without_card(endpoint, with_card[0])
    shown = json.dumps(element, ensure_ascii=False).replace(message, "")
    assert sorted(s for s in hidden if s in shown or json.dumps(s, ensure_ascii=False)[1:-1] in shown) == []
    assert any(isinstance(v, str) and v == message for v in _strings(node))

    # the card is no item: a second pass finds nothing and adds no second card
    again = run(engine, case, outcome.body)
    assert again.items == [] and again.placeholders == 0

    # outside the item lists (cursors, paging, headers) the page is as without the card
    monkeypatch.setattr(placeholder, "apply", lambda *args, **kwargs: False)
    plain = run(engine, case, body)
    assert plain.placeholders == 0
    assert rewritten == documents(endpoint, plain.body, html)


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    else:
        yield node
