"""praw reads Reddit's listings (fixtures and their rewrites) through its own objector.

praw.Reddit runs with a prawcore Requestor whose transport is a stub: the token request gets a
token, every other request the body under test. `reddit.get(path)` is what every praw listing
method calls (ListingGenerator._next_batch): it objectifies the JSON into Listing, Submission,
Comment and Subreddit objects, and the Listing's `after` / `before` are the cursors praw pages by.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from . import support

praw = support.require("praw")
prawcore = support.require("prawcore")
requests = support.require("requests")

CASES = support.cases("reddit", lambda c: c.body_path().name != "me.json")
# The visible text of a post (its title) and of a comment (its body, and the title of the post it
# answers, which heads the comment's card on a profile).
MARK_KEYS = ("title", "body", "body_html", "link_title")


class StubRequestor(prawcore.Requestor):
    """prawcore's Requestor with the network replaced: answers from `pages`, in order."""

    pages: list[bytes] = []
    seen: list[tuple[str, str, dict]] = []

    def request(self, method, url, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.encoding = 200, url, "utf-8"
        response.headers = requests.structures.CaseInsensitiveDict(
            {"content-type": "application/json; charset=UTF-8"})
        if url.endswith("/api/v1/access_token"):
            response._content = json.dumps({"access_token": "stub-token", "expires_in": 86400,
                                             "scope": "*", "token_type": "bearer"}).encode()
        else:
            type(self).seen.append((method, url, dict(kwargs.get("params") or {})))
            assert type(self).pages, f"the client asked for more pages than served: {url}"
            response._content = type(self).pages.pop(0)
        return response


def reddit_with(pages: list[bytes]):
    StubRequestor.pages = list(pages)
    StubRequestor.seen = []
    return praw.Reddit(client_id="stub", client_secret="stub", user_agent="feedlens client tests",
                       requestor_class=StubRequestor, check_for_updates=False)


def path_and_params(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    path = parts.path.removesuffix(".json") or "/"
    return path, dict(parse_qsl(parts.query))


def thing(obj) -> dict:
    """A praw object's public attributes (related objects by their name; a poll's PollData and
    PollOption, which have no name, by their own attributes)."""
    return support.plain({k: _attribute(v) for k, v in vars(obj).items() if not k.startswith("_")})


def _attribute(value):
    if isinstance(value, list):
        return [_attribute(v) for v in value]
    if isinstance(value, praw.models.base.PRAWBase) and not isinstance(value, praw.models.reddit.base.RedditBase):
        return thing(value)
    return value


def view(url: str, body: bytes) -> tuple[support.View, list]:
    reddit = reddit_with([body])
    path, params = path_and_params(url)
    result = reddit.get(path, params=params)
    assert StubRequestor.seen[0][1].endswith(path), StubRequestor.seen
    listings = result if isinstance(result, list) else [result]
    out, objects = support.View(), []
    for index, listing in enumerate(listings):
        assert isinstance(listing, praw.models.Listing), type(listing)
        out.cursors[f"{index}.after"] = listing.after
        out.cursors[f"{index}.before"] = listing.before
        for child in listing:
            assert isinstance(child, (praw.models.Submission, praw.models.Comment,
                                      praw.models.Subreddit)), type(child)
            objects.append(child)
            out.add(child.fullname, thing(child))
    return out, objects


@pytest.mark.parametrize("profile", support.PROFILES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_praw_reads_the_rewrite_as_the_original(case, profile):
    rw = support.rewrite(case, profile)
    before, objects = view(case.data["url"], rw.original)
    after, _ = view(case.data["url"], rw.body)
    assert objects, "praw built no object from the original"
    support.check(rw, before, after, MARK_KEYS, must_see=lambda item_id: True)


def test_the_profiles_do_hide_and_mark_reddit_items():
    """The comparisons above are not vacuous: some rewrites hide items, some mark titles."""
    hidden = marked = 0
    for case in CASES:
        hidden += len(support.rewrite(case, "no-ads").hidden)
        rw = support.rewrite(case, "prefix-all")
        before, _ = view(case.data["url"], rw.original)
        after, _ = view(case.data["url"], rw.body)
        marked += sum(after.objects[i]["title"] != before.objects[i]["title"]
                      for i in after.objects if "title" in before.objects[i])
    assert hidden >= 5 and marked >= 20, (hidden, marked)


@pytest.mark.parametrize("tamper, message", [
    (lambda doc: doc["data"].update(after="t3_other"), "cursors"),
    (lambda doc: doc["data"]["children"].pop(0), "kept item"),
    (lambda doc: doc["data"]["children"][1]["data"].update(ups=1), "changed"),
    (lambda doc: doc["data"]["children"][1]["data"].update(title="Another title"), "not a mark"),
])
def test_the_comparison_fails_on_a_body_a_client_would_read_differently(tamper, message):
    """The checker is not a rubber stamp: a moved cursor, a lost kept item, a changed field or a
    retitled post (not a mark) each fail it."""
    case = next(c for c in CASES if c.name == "best")
    rw = support.rewrite(case, "mark-only")
    doc = json.loads(rw.original)
    tamper(doc)
    before, _ = view(case.data["url"], rw.original)
    after, _ = view(case.data["url"], json.dumps(doc).encode())
    with pytest.raises(AssertionError, match=message):
        support.check(rw, before, after, MARK_KEYS)


def test_an_emptied_listing_reaches_praw_as_one_placeholder_submission():
    """Every post of the oauth /best page is personalised or an ad: under no-personalized the
    page keeps one card, which praw reads as a Submission whose title is feedlens's note, and
    its `after`, so a ListingGenerator goes on (test_paging.py)."""
    case = next(c for c in CASES if c.name == "best")
    rw = support.rewrite(case, "no-personalized")
    assert rw.kept == set() and len(rw.hidden) == 5
    after, objects = view(case.data["url"], rw.body)
    assert len(objects) == 1 and isinstance(objects[0], praw.models.Submission)
    assert support.is_placeholder(objects[0].title)
    assert after.cursors["0.after"] == json.loads(rw.original)["data"]["after"]
