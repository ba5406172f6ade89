"""twscrape reads X's GraphQL timelines (fixtures and their rewrites) with its own parsers.

`parse_tweets`, `parse_users` and `parse_trends` are what every twscrape timeline method runs on a
page; `API._get_cursor` is how its paging loop (API._gql_items) finds the next page. twscrape
swallows a tweet it cannot parse (it writes a dump file and goes on), so a parse failure is turned
into an error here. The paging loop itself runs over stubbed pages below (a whole search) and in
test_paging.py.
"""

from __future__ import annotations

import asyncio
import json
import types

import pytest

from . import support

twscrape = support.require("twscrape")
httpx = support.require("httpx")
from twscrape import models  # noqa: E402
from twscrape.api import API  # noqa: E402

CASES = support.cases("x", lambda c: c.body_path().suffix == ".json")
# The visible text of a tweet, the name on an account card, a trend's name (and the id twscrape
# derives from it).
MARK_KEYS = ("rawContent", "displayname", "name", "id")


def strict_parsers(monkeypatch):
    """twscrape's parsers log and skip what they cannot read; here that fails the test."""
    def fail(kind, exc, x, obj):
        raise AssertionError(f"twscrape could not parse a {kind}: {exc!r}")
    monkeypatch.setattr(models, "_write_dump", fail)


def carried(tweet) -> list:
    """What a tweet carries: its author's account (parse_users yields every account of the page,
    authors too), and a quoted tweet with its author."""
    out = [tweet.user.id_str]
    for inner in (tweet.quotedTweet, tweet.retweetedTweet):
        if inner is not None:
            out += [inner.user.id_str] + ([inner.id_str] if inner is tweet.quotedTweet else [])
    return out


def retweeted(tweet) -> list:
    """A retweet's card is the retweeted tweet's (its id is the engine item's)."""
    return [tweet.retweetedTweet.id_str] if tweet.retweetedTweet is not None else []


def view(body: bytes) -> support.View:
    doc = json.loads(body)
    out = support.View()
    for tweet in models.parse_tweets(doc):
        assert isinstance(tweet, models.Tweet)
        out.add(tweet.id_str, support.plain(tweet.dict()), inner=carried(tweet), aliases=retweeted(tweet))
    for user in models.parse_users(doc):
        assert isinstance(user, models.User)
        out.add(user.id_str, support.plain(user.dict()))
    for trend in models.parse_trends(doc):
        # keyed by its search URL: twscrape derives the trend's id from its name ("trend-NAME"),
        # and the name is the trend's visible text, which a profile may mark
        out.add(trend.trend_url.url, support.plain(trend.dict()), aliases=[trend.name])
    api = API.__new__(API)  # the cursor reader needs no pool
    out.cursors = {kind: api._get_cursor(doc, kind) for kind in ("Bottom", "Top")}
    return out


@pytest.mark.parametrize("profile", support.PROFILES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_twscrape_reads_the_rewrite_as_the_original(case, profile, monkeypatch):
    strict_parsers(monkeypatch)
    rw = support.rewrite(case, profile)
    before, after = view(rw.original), view(rw.body)
    assert before.objects, "twscrape built nothing from the original"
    support.check(rw, before, after, MARK_KEYS, must_see=lambda item_id: True)


def test_the_profiles_do_hide_x_items():
    hidden = sum(len(support.rewrite(c, p).hidden) for c in CASES for p in ("no-ads", "no-personalized"))
    assert hidden >= 20, hidden


# ---- twscrape's own paging loop over stubbed pages ---------------------------------------

class StubQueueClient(twscrape.queue_client.QueueClient):
    """twscrape's QueueClient with an account and a transport that never leave the machine:
    requests and response checks (_check_rep) are twscrape's own; the pages come from `pages`."""

    pages: list[bytes] = []
    seen: list[dict] = []

    async def _get_ctx(self):
        if self.ctx is None:
            account = types.SimpleNamespace(username="stub", cookies={"auth_token": "a", "ct0": "c"})
            twscrape.queue_client.XClIdGenStore.items["stub"] = types.SimpleNamespace(
                calc=lambda method, path: "stub-transaction-id")
            self.ctx = twscrape.queue_client.Ctx(account, StubHttp())
        return self.ctx

    async def _close_ctx(self, reset_at=-1, inactive=False, msg=None):
        assert not inactive, f"twscrape marked the stub account inactive: {msg}"
        self.ctx = None


class StubHttp(twscrape.http.HttpClient):
    backend = "stub"
    cookies = headers = {}

    async def request(self, method, url, **kwargs):
        params = kwargs.get("params") or {}
        StubQueueClient.seen.append(json.loads(params.get("variables", "{}")))
        assert StubQueueClient.pages, "twscrape asked for more pages than served"
        raw = httpx.Response(200, content=StubQueueClient.pages.pop(0),
                             headers={"content-type": "application/json"},
                             request=httpx.Request(method, url))
        return twscrape.http.Response(raw)

    async def aclose(self):
        pass


def run_api(pages: list[bytes], method: str, *args, **kwargs) -> tuple[list, list[dict]]:
    """Every tweet twscrape's `API.<method>` yields over `pages`, and the variables it sent."""
    StubQueueClient.pages, StubQueueClient.seen = list(pages), []

    async def collect():
        api = API(pool=":memory:")
        return [t async for t in getattr(api, method)(*args, **kwargs)]

    original = twscrape.api.QueueClient
    twscrape.api.QueueClient = StubQueueClient
    try:
        return asyncio.run(collect()), StubQueueClient.seen
    finally:
        twscrape.api.QueueClient = original


def paged(body: bytes, page: int, bottom: str | None) -> bytes:
    """Page `page` of a feed built from one fixture: its entry ids get a page suffix (twscrape
    stops a search whose page repeats the last one's entries) and its Bottom cursor is `bottom`
    (None: no Bottom cursor, the last page)."""
    doc = json.loads(body)

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("entries"), list) and bottom is None:
                node["entries"] = [e for e in node["entries"]
                                   if e.get("content", {}).get("cursorType") != "Bottom"]
            if isinstance(node.get("entryId"), str):
                node["entryId"] += f"-p{page}"
            if node.get("cursorType") == "Bottom":
                node["value"] = bottom
            elif node.get("cursorType") == "Top":
                node["value"] = f"top-p{page}"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)
    return json.dumps(doc).encode()


def test_twscrape_pages_through_rewritten_search_pages(monkeypatch):
    """A search of three pages, each rewritten with ads hidden: twscrape asks for page 2 and 3
    with the cursors the pages carry and yields every kept tweet of each."""
    strict_parsers(monkeypatch)
    case = next(c for c in CASES if c.name == "search")
    body = case.body_path().read_bytes()
    pages = [paged(body, 1, "cursor-p2"), paged(body, 2, "cursor-p3"), paged(body, 3, None)]
    rewritten = [support.rewrite_body(case, p, "no-ads") for p in pages]
    assert all(page.outcome.changed for page in rewritten)
    tweets, sent = run_api([page.body for page in rewritten], "search", "sourdough")
    assert [v.get("cursor") for v in sent] == [None, "cursor-p2", "cursor-p3"]
    kept = [i.id for page in rewritten for i in page.outcome.items if i.decision != "hide"]
    assert [t.id_str for t in tweets] == kept
    assert len(kept) == 9  # three pages of four search results, one an ad
