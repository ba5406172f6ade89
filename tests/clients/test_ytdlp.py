"""yt-dlp's YouTube extractors read YouTube's pages (fixtures and their rewrites).

yt-dlp runs for real (`YoutubeDL.extract_info` on a feed, search or tab URL, flat extraction):
its YoutubeTabIE / YoutubeSearchIE download the page, read ytInitialData or the youtubei JSON,
turn renderers into entries and follow continuations through the browse/search API. Only
`YoutubeDL.urlopen` (its network) is stubbed: it answers each request with the fixture (or its
rewrite) that the proxy would have rewritten, once, and then with an empty API answer, so that
the continuation yt-dlp asks for (the cursor it read) is recorded and paging stops.
"""

from __future__ import annotations

import io
import itertools
import json
import re

import pytest

from . import support

yt_dlp = support.require("yt_dlp")
from yt_dlp.networking import Response  # noqa: E402

CASES = {c.name: c for c in support.cases("youtube")}
MARK_KEYS = ("title",)  # the visible text of a card
END = json.dumps({"responseContext": {}, "onResponseReceivedActions": []}).encode()
YTCFG = r"^https://www\.youtube\.com/?$"  # yt-dlp reads the web client's config from the home page

# What yt-dlp is asked to extract, and which fixture case answers which request, in order.
SCENARIOS = {
    "home": ("https://www.youtube.com/", [
        (r"/feed/recommended", "home-html"), (r"/youtubei/v1/browse", "browse-home-after-html")]),
    "home-masthead": ("https://www.youtube.com/", [(r"/feed/recommended", "home-html-masthead")]),
    "subscriptions": ("https://www.youtube.com/feed/subscriptions", [
        (r"/feed/subscriptions", "subscriptions-html"),
        (r"/youtubei/v1/browse", "browse-subscriptions-continuation")]),
    "trending": ("https://www.youtube.com/feed/trending?bp=6gQJRkVleHBsb3Jl",
                 [(r"/feed/trending", "trending-html")]),
    "podcasts": ("https://www.youtube.com/podcasts/popularepisodes", [
        (r"/podcasts/popularepisodes", "trending-html-podcasts")]),
    "search": ("ytsearch50:lofi", [(r"/youtubei/v1/search", "search")]),
    "search-shelves": ("ytsearch50:synth", [(r"/youtubei/v1/search", "search-shelves")]),
}


class Network:
    """YoutubeDL.urlopen's stand-in: each route answers once, API calls after that get END."""

    def __init__(self, routes: list[tuple[str, bytes, str]], ytcfg: bytes):
        self.routes, self.served, self.ytcfg, self.seen = routes, set(), ytcfg, []

    def urlopen(self, request):
        url = request.url
        data = json.loads(request.data) if request.data else {}
        self.seen.append((re.sub(r"\?.*", "", url), data.get("continuation")))
        if re.search(YTCFG, url):
            return self.answer(url, self.ytcfg, "text/html; charset=utf-8")
        for index, (pattern, body, content_type) in enumerate(self.routes):
            if index not in self.served and re.search(pattern, url):
                self.served.add(index)
                return self.answer(url, body, content_type)
        assert "/youtubei/v1/" in url, f"yt-dlp asked for an unexpected page: {url}"
        return self.answer(url, END, "application/json")

    @staticmethod
    def answer(url: str, body: bytes, content_type: str) -> Response:
        return Response(io.BytesIO(body), url, {"Content-Type": content_type}, status=200)


def extract(url: str, routes: list[tuple[str, bytes, str]], monkeypatch) -> tuple[dict, list[dict], list]:
    network = Network(routes, CASES["home-html"].body_path().read_bytes())
    monkeypatch.setattr(yt_dlp.YoutubeDL, "urlopen", network.urlopen)
    params = {"extract_flat": True, "quiet": True, "no_warnings": True, "skip_download": True,
              "cachedir": False}
    with yt_dlp.YoutubeDL(params) as ydl:
        info = ydl.extract_info(url, download=False, process=False)
        if info.get("_type") == "url":  # e.g. youtube.com/ -> its recommended feed
            info = ydl.extract_info(info["url"], download=False, process=False)
        entries = list(itertools.islice(info.get("entries") or [], 200))
    assert network.served == set(range(len(routes))), f"pages never asked for: {network.seen}"
    return info, entries, network.seen


def view(info: dict, entries: list[dict], seen: list) -> support.View:
    out = support.View()
    for entry in entries:
        assert entry.get("id") and entry.get("url"), entry
        data = support.plain(entry)
        if data.get("channel") == data.get("title"):
            # a channel's card: its title is the channel's name, which yt-dlp also files as
            # channel and uploader (a mark on the title is one on the name)
            data.update({k: "= title" for k in ("channel", "uploader") if k in data})
        out.add(entry["id"], data)
    # the pages yt-dlp asked for, in order: the continuation tokens it read (it asks again for a
    # page that came back empty, so repeats in a row are one request)
    requests = [r for index, r in enumerate(seen) if index == 0 or seen[index - 1] != r]
    out.cursors = {"requests": requests, "playlist": (info.get("id"), info.get("title"))}
    return out


def routes_for(scenario: str, profile: str) -> tuple[list, list, list[support.Rewrite]]:
    _, steps = SCENARIOS[scenario]
    original, rewritten, rewrites = [], [], []
    for pattern, name in steps:
        case = CASES[name]
        rw = support.rewrite(case, profile)
        original.append((pattern, rw.original, case.content_type()))
        rewritten.append((pattern, rw.body, case.content_type()))
        rewrites.append(rw)
    return original, rewritten, rewrites


@pytest.mark.parametrize("profile", support.PROFILES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_yt_dlp_reads_the_rewrite_as_the_original(scenario, profile, monkeypatch):
    url = SCENARIOS[scenario][0]
    original, rewritten, rewrites = routes_for(scenario, profile)
    before = view(*extract(url, original, monkeypatch))
    after = view(*extract(url, rewritten, monkeypatch))
    assert before.objects, "yt-dlp found no entry in the original"
    for rw in rewrites:  # each page's items against what yt-dlp read of the whole feed
        support.check(rw, before, after, MARK_KEYS, must_see=lambda item_id, rw=rw: read_by_yt_dlp(rw, item_id))


def read_by_yt_dlp(rw: support.Rewrite, item_id: str) -> bool:
    """The engine items yt-dlp's extractors turn into entries: videos, live streams, playlists
    and channels; not ads (promoted renderers), not shorts (it reads them only in some grids),
    and on a search page not what sits in a shelf (YoutubeSearchIE reads the results of each
    item section and skips shelfRenderer / reelShelfRenderer: "People also watched", "Latest
    from ...")."""
    item = next(i for i in rw.outcome.items if i.id == item_id)
    if item.kind not in ("video", "live", "playlist", "user"):
        return False
    return rw.outcome.surface != "search" or item_id not in in_shelves(rw.original)


def in_shelves(body: bytes) -> set[str]:
    found = set()

    def walk(node, shelved: bool):
        if isinstance(node, dict):
            for key, value in node.items():
                if shelved and isinstance(value, str) and key in ("videoId", "playlistId", "channelId"):
                    found.add(value)
                walk(value, shelved or key in ("shelfRenderer", "reelShelfRenderer"))
        elif isinstance(node, list):
            for value in node:
                walk(value, shelved)
    walk(json.loads(body), False)
    return found
