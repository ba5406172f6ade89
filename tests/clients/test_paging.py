"""Paging goes on after a page the user's rules emptied (issue 19, item 1), as real clients page.

Each client's own paging loop runs over stubbed pages served in order: page 1 as usual, page 2
rewritten by a profile that hides everything on it (as a strict profile does on a page of
recommendations), page 3 as usual. The client must ask for page 3 and yield its items; the
placeholder card feedlens leaves on an emptied page (a copy of a hidden item whose visible text is
its note) is not counted as an item.

Without the placeholder an emptied page ends praw's listings (ListingGenerator stops at a Listing
with no children) and Mastodon.py's pagination_iterator / fetch_remaining (they stop at an empty
list), and twscrape gives up after three empty pages in a row (API._gql_items). Every adapter
declares a placeholder, so each of these clients pages on. yt-dlp follows YouTube's
continuation past an emptied page by itself.

Each test has a control beside it, the same pages with page 2 kept, so that a failure is about
the emptied page and nothing else.
"""

from __future__ import annotations

import json

import pytest

from . import support

def items_of(page: support.Rewrite) -> list[str]:
    return [i.id for i in page.outcome.items if i.decision != "hide"]


def emptied(page: support.Rewrite) -> bool:
    return bool(page.outcome.items) and items_of(page) == []


# ---- praw -------------------------------------------------------------------------------

def reddit_pages(page2_profile: str):
    """Three pages of https://oauth.reddit.com/hot: front-hot, then best and subreddit-new as
    its pages 2 and 3 (their `after` set so that each page names the next)."""
    from .test_praw import CASES
    case = next(c for c in CASES if c.name == "front-oauth-logged-in")
    bodies = []
    for name, after in (("front-hot.json", "t3_page2"), ("best.json", "t3_page3"), ("subreddit-new.json", None)):
        doc = json.loads((case.path.parent / name).read_bytes())
        doc["data"]["after"] = after
        bodies.append(json.dumps(doc).encode())
    base = "https://oauth.reddit.com/hot?limit=5&raw_json=1"
    return [support.rewrite_body(case, bodies[0], "mark-only", base),
            support.rewrite_body(case, bodies[1], page2_profile, base + "&after=t3_page2"),
            support.rewrite_body(case, bodies[2], "mark-only", base + "&after=t3_page3")]


def praw_pages(page2_profile: str):
    from .test_praw import StubRequestor, praw, reddit_with, thing
    pages = reddit_pages(page2_profile)
    reddit = reddit_with([page.body for page in pages])
    yielded = [post.fullname for post in praw.models.ListingGenerator(reddit, "/hot", limit=None)
               if not support.is_placeholder(thing(post))]  # feedlens's card is no item
    return pages, yielded, [params.get("after") for _, _, params in StubRequestor.seen]


def test_praw_pages_through_three_pages():
    pages, yielded, asked = praw_pages("mark-only")
    assert asked == [None, "t3_page2", "t3_page3"]
    assert yielded == [i for page in pages for i in items_of(page)]


def test_praw_pages_past_an_emptied_page():
    pages, yielded, asked = praw_pages("hide-all")
    assert emptied(pages[1])
    assert asked == [None, "t3_page2", "t3_page3"], "praw did not ask for page 3"
    assert yielded == items_of(pages[0]) + items_of(pages[2])


# ---- twscrape ---------------------------------------------------------------------------

def x_pages(profiles: list[str]):
    """A search whose pages are the search fixture, page i rewritten by profiles[i]."""
    from .test_twscrape import CASES, paged
    case = next(c for c in CASES if c.name == "search")
    body = case.body_path().read_bytes()
    last = len(profiles)
    return [support.rewrite_body(case, paged(body, n, f"cursor-p{n + 1}" if n < last else None), profile)
            for n, profile in enumerate(profiles, start=1)]


def twscrape_search(pages, monkeypatch):
    from .test_twscrape import run_api, strict_parsers
    strict_parsers(monkeypatch)
    tweets, sent = run_api([page.body for page in pages], "search", "sourdough")
    return ([t.id_str for t in tweets if not support.is_placeholder(t.rawContent)],
            [v.get("cursor") for v in sent])


def test_twscrape_pages_past_one_emptied_page(monkeypatch):
    """twscrape would go on after one empty page that has a Bottom cursor (up to two in a row)."""
    pages = x_pages(["no-ads", "hide-all", "no-ads"])
    assert emptied(pages[1])
    tweets, asked = twscrape_search(pages, monkeypatch)
    assert asked == [None, "cursor-p2", "cursor-p3"]
    assert tweets == items_of(pages[0]) + items_of(pages[2])


def test_twscrape_pages_past_three_emptied_pages(monkeypatch):
    """A strict profile on a feed of recommendations empties page after page: without a card on
    them twscrape stops at the third empty page in a row and never asks for page 5."""
    pages = x_pages(["no-ads", "hide-all", "hide-all", "hide-all", "no-ads"])
    tweets, asked = twscrape_search(pages, monkeypatch)
    assert asked == [None, "cursor-p2", "cursor-p3", "cursor-p4", "cursor-p5"], "twscrape stopped"
    assert tweets == items_of(pages[0]) + items_of(pages[4])


def test_twscrape_control_five_pages_kept(monkeypatch):
    pages = x_pages(["no-ads"] * 5)
    tweets, asked = twscrape_search(pages, monkeypatch)
    assert asked == [None, "cursor-p2", "cursor-p3", "cursor-p4", "cursor-p5"]
    assert tweets == [i for page in pages for i in items_of(page)]


# ---- Mastodon.py ------------------------------------------------------------------------

def mastodon_pages(page2_profile: str):
    """Three pages of the home timeline (home, list and tag fixtures as pages 1 to 3), each with
    the Link header the server sends (next: max_id of its last status; none on the last page)."""
    from .test_mastodon import CASES
    case = next(c for c in CASES if c.name == "home")
    folder = case.path.parent
    base = "https://fosstodon.example/api/v1/timelines/home"
    out = []
    for index, (name, profile) in enumerate((("home.json", "mark-only"), ("list.json", page2_profile),
                                             ("tag.json", "mark-only"))):
        body = (folder / name).read_bytes()
        last_id = json.loads(body)[-1]["id"]
        link = f'<{base}?max_id={last_id}>; rel="next"' if index < 2 else None
        out.append((support.rewrite_body(case, body, profile, base), link))
    return out


def mastodon_iterate(page2_profile: str):
    from .test_mastodon import StubAdapter, mastodon
    pages = mastodon_pages(page2_profile)
    served = iter(pages)
    asked = []

    class Paged(StubAdapter):
        def send(self, request, **kwargs):
            if "/timelines/home" in request.url:
                page, link = next(served)
                self.body, self.link = page.body, link
                asked.append(request.url)
            return super().send(request, **kwargs)

    client = mastodon.Mastodon(access_token="stub", api_base_url="https://fosstodon.example",
                               version_check_mode="none", ratelimit_method="throw")
    client.session.mount("https://", Paged(b"", None))
    first = client.timeline_home()
    statuses = [str(s.id) for s in client.pagination_iterator(first)
                if not support.is_placeholder(support.plain(s))]
    return [p[0] for p in pages], statuses, asked


def test_mastodon_py_pages_through_three_pages():
    pages, statuses, asked = mastodon_iterate("mark-only")
    assert len(asked) == 3
    assert statuses == [i for page in pages for i in items_of(page)]


def test_mastodon_py_pages_past_an_emptied_page():
    pages, statuses, asked = mastodon_iterate("hide-all")
    assert emptied(pages[1])
    assert len(asked) == 3, "Mastodon.py did not ask for page 3"
    assert statuses == items_of(pages[0]) + items_of(pages[2])


# ---- yt-dlp -----------------------------------------------------------------------------

def test_yt_dlp_pages_past_an_emptied_first_page(monkeypatch):
    """YouTube's home page with every card hidden: yt-dlp still follows the continuation the
    page keeps and yields the next page's videos."""
    from .test_ytdlp import CASES, extract
    home, after = CASES["home-html"], CASES["browse-home-after-html"]
    first = support.rewrite(home, "hide-all")
    assert first.kept == set() and first.hidden
    second = support.rewrite(after, "mark-only")
    info, entries, seen = extract("https://www.youtube.com/", [
        (r"/feed/recommended", first.body, home.content_type()),
        (r"/youtubei/v1/browse", second.body, after.content_type())], monkeypatch)
    assert any(token for _, token in seen), "yt-dlp asked for no continuation"
    videos = {e["id"] for e in entries}
    assert videos & second.kept
    assert not videos & (first.hidden - second.kept)  # (one video is on both pages)
