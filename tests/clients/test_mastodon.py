"""Mastodon.py reads Mastodon's REST answers (fixtures and their rewrites) into its typed entities.

A real `Mastodon` object calls the method that fetches the fixture's URL (timeline_home,
timeline_list, account_statuses, search_v2, trending_statuses, ...); its requests Session has a
transport adapter that answers with the body under test and the Link header a Mastodon server
sends with it (the server's header, computed from the original page: feedlens never changes it).
Mastodon.py casts the JSON into Status, Account, Tag, PreviewCard and SearchV2 objects and reads
the Link header into `_pagination_next` / `_pagination_prev`, the cursors it pages by.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from . import support

mastodon = support.require("mastodon")
requests = support.require("requests")
from mastodon import return_types  # noqa: E402

CASES = support.cases("mastodon", lambda c: c.body_path().name != "verify-credentials.json")
# The visible text of a status (HTML content, and its content warning), an account's name, a link
# card's title. A hashtag's name is its id (clients open /api/v1/timelines/tag/NAME with it): no
# mark may go there.
MARK_KEYS = ("content", "spoiler_text", "display_name", "title")


class StubAdapter(requests.adapters.BaseAdapter):
    """requests' transport, replaced: the body under test with the server's Link header."""

    def __init__(self, body: bytes, link: str | None):
        super().__init__()
        self.body, self.link, self.seen = body, link, []

    def send(self, request, **kwargs):
        response = requests.Response()
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        response.headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json"})
        if urlsplit(request.url).path.startswith(("/api/v1/instance", "/api/v2/instance")):
            # Mastodon.py asks the server's version (which trends path) and whether a public
            # timeline is open: a 4.4 server that sets no limits
            response.status_code, response.reason = 200, "OK"
            response._content = json.dumps({"version": "4.4.0", "uri": "fosstodon.example",
                                            "domain": "fosstodon.example", "urls": {},
                                            "api_versions": {"mastodon": 6}}).encode()
            return response
        self.seen.append(request.url)
        response.status_code, response.reason = 200, "OK"
        if self.link:
            response.headers["Link"] = self.link
        response._content = self.body
        return response

    def close(self):
        pass


def link_header(url: str, original: bytes) -> str | None:
    """The Link header Mastodon sends with this page (from the original page's ids or offset)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    doc = json.loads(original)
    if "/trends/" in parts.path:
        limit = int(dict(parse_qsl(parts.query)).get("limit", 10))
        return f'<{base}?offset={limit}>; rel="next"'
    if isinstance(doc, list) and doc:
        return f'<{base}?max_id={doc[-1]["id"]}>; rel="next", <{base}?min_id={doc[0]["id"]}>; rel="prev"'
    return None  # search: Mastodon sends no Link header


CALLS = [  # path pattern -> how Mastodon.py fetches it
    (r"^/api/v1/timelines/home$", lambda m, g, q: m.timeline_home(limit=q.get("limit"))),
    (r"^/api/v1/timelines/list/(\w+)$", lambda m, g, q: m.timeline_list(g[0], limit=q.get("limit"))),
    (r"^/api/v1/timelines/public$",
     lambda m, g, q: m.timeline_public(local=q.get("local") == "true", limit=q.get("limit"))),
    (r"^/api/v1/timelines/tag/(\w+)$", lambda m, g, q: m.timeline_hashtag(g[0], limit=q.get("limit"))),
    (r"^/api/v1/accounts/(\w+)/statuses$",
     lambda m, g, q: m.account_statuses(g[0], exclude_replies=q.get("exclude_replies") == "true",
                                        limit=q.get("limit"))),
    (r"^/api/v2/search$", lambda m, g, q: m.search_v2(q["q"], resolve=q.get("resolve") == "true",
                                                      limit=q.get("limit"))),
    (r"^/api/v1/trends/statuses$", lambda m, g, q: m.trending_statuses(limit=q.get("limit"))),
    (r"^/api/v1/trends/links$", lambda m, g, q: m.trending_links(limit=q.get("limit"))),
    (r"^/api/v1/trends/tags$", lambda m, g, q: m.trending_tags(limit=q.get("limit"))),
]


def fetch(url: str, body: bytes, link: str | None):
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    client = mastodon.Mastodon(access_token="stub", api_base_url=f"{parts.scheme}://{parts.netloc}",
                               version_check_mode="none", ratelimit_method="throw")
    adapter = StubAdapter(body, link)
    client.session.mount("https://", adapter)
    for pattern, call in CALLS:
        found = re.match(pattern, parts.path)
        if found:
            result = call(client, found.groups(), query)
            assert [urlsplit(u).path for u in adapter.seen] == [parts.path]
            return result
    raise AssertionError(f"no Mastodon.py method for {parts.path}")


def add_status(out: support.View, status) -> None:
    assert isinstance(status, return_types.Status), type(status)
    reblog = status.get("reblog")
    out.add(status.id, support.plain(status), aliases=[reblog.id] if reblog else [])


def view(url: str, body: bytes, link: str | None) -> support.View:
    result = fetch(url, body, link)
    out = support.View()
    if isinstance(result, return_types.SearchV2):
        for account in result.accounts:
            assert isinstance(account, return_types.Account)
            out.add(account.id, support.plain(account))
        for tag in result.hashtags:
            assert isinstance(tag, return_types.Tag)
            out.add(tag.name, support.plain(tag))
        for status in result.statuses:
            add_status(out, status)
    else:
        assert isinstance(result, list)
        for entity in result:
            if isinstance(entity, return_types.PreviewCard):
                out.add(entity.url, support.plain(entity))
            elif isinstance(entity, return_types.Tag):
                out.add(entity.name, support.plain(entity))
            else:
                add_status(out, entity)
    for side in ("next", "prev"):
        out.cursors[side] = support.plain(getattr(result, f"_pagination_{side}", None))
    return out


@pytest.mark.parametrize("profile", support.PROFILES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mastodon_py_reads_the_rewrite_as_the_original(case, profile):
    rw = support.rewrite(case, profile)
    url = case.data["url"]
    link = link_header(url, rw.original)
    before, after = view(url, rw.original, link), view(url, rw.body, link)
    assert before.objects, "Mastodon.py built nothing from the original"
    if link:
        assert before.cursors["next"], "Mastodon.py read no next page from the Link header"
    support.check(rw, before, after, MARK_KEYS, must_see=lambda item_id: True)


def test_the_profiles_do_hide_mastodon_items():
    hidden = sum(len(support.rewrite(c, "no-personalized").hidden) for c in CASES)
    labelled = sum(i.decision == "label" for c in CASES
                   for i in support.rewrite(c, "no-personalized").outcome.items)
    assert (hidden, labelled) != (0, 0)
