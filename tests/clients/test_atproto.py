"""The Bluesky SDK (atproto) reads Bluesky's XRPC answers (fixtures and their rewrites) into its
strict models, generated from the lexicons.

A real `atproto_client.Client` calls the namespace method of the fixture's NSID
(`client.app.bsky.feed.get_timeline(params)`, ...) over an httpx MockTransport that answers with
the body under test: the SDK validates the output against the lexicon's pydantic model in strict
mode (an unknown shape is an error, not a dict). The raw JSON is validated once more with strict
string formats (DIDs, AT-URIs, datetimes, handles). The `cursor` of the output is what the SDK
pages by.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from . import support

atproto_client = support.require("atproto_client")
httpx = support.require("httpx")
from atproto_client import models  # noqa: E402
from atproto_client.models.utils import get_or_create, get_response_model  # noqa: E402
from atproto_client.request import Request  # noqa: E402

CASES = support.cases("bluesky")
# The visible text of a post (its record's text, with facets that index it by byte) and the name
# of a feed or an account.
MARK_KEYS = ("text", "displayName")
# app.bsky.unspecced.getPopular left the lexicons (and the SDK); its output was the timeline's
# ({feed: [feedViewPost], cursor}), so it is read with that model.
RETIRED = {"app.bsky.unspecced.getPopular": "app.bsky.feed.getTimeline"}


def model_of(nsid: str):
    return getattr(models, "".join(p[0].upper() + p[1:] for p in nsid.split(".")))


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def typed(value: str):
    """A query parameter as the SDK's Params model takes it (a bool, a number, a string)."""
    return {"true": True, "false": False}.get(value, int(value) if value.isdigit() else value)


def fetch(url: str, body: bytes):
    parts = urlsplit(url)
    nsid = parts.path.split("/xrpc/", 1)[1]
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    client = atproto_client.Client(base_url=f"{parts.scheme}://{parts.netloc}/xrpc",
                                   request=Request(transport=httpx.MockTransport(answer)))
    params = {k: typed(v) for k, v in parse_qsl(parts.query)}
    if nsid in RETIRED:
        response = client.invoke_query(nsid, params=get_or_create(params, model_of(RETIRED[nsid]).Params))
        result = get_response_model(response, model_of(RETIRED[nsid]).Response)
    else:
        *namespace, method = nsid.split(".")
        target = client
        for part in namespace:
            target = getattr(target, part)
        result = getattr(target, snake(method))(params)
    assert seen == [parts.path]
    model = model_of(RETIRED.get(nsid, nsid)).Response
    assert isinstance(result, model), type(result)
    # strict string formats too: DIDs, AT-URIs, CIDs, datetimes, handles
    get_or_create(json.loads(body), model, strict=True, strict_string_format=True)
    return result


def identity(node: dict) -> str | None:
    if "uri" in node and "cid" in node and ("author" in node or "creator" in node):
        return node["uri"]  # a post, a quoted post, a feed generator
    if "did" in node and "handle" in node:
        return node["did"]  # an account
    return None


def view(url: str, body: bytes) -> support.View:
    result = fetch(url, body)
    out = support.View()

    def walk(node, enclosing: list[str]):
        if isinstance(node, dict):
            oid = identity(node)
            if oid is not None:
                out.add(oid, node)
                for outer in enclosing:
                    out.inner.setdefault(outer, set()).add(oid)
                enclosing = enclosing + [oid]
            for value in node.values():
                walk(value, enclosing)
        elif isinstance(node, list):
            for value in node:
                walk(value, enclosing)
    walk(support.plain(result), [])
    out.cursors["cursor"] = getattr(result, "cursor", None)
    return out


def unshift_facets(original, new):
    """A mark inserted into a post's text moves the byte ranges of its facets: bring them back,
    so that the comparison sees only the mark (the facets must still point at the same text)."""
    if isinstance(original, dict) and isinstance(new, dict):
        text_a, text_b = original.get("text"), new.get("text")
        if (isinstance(text_a, str) and isinstance(text_b, str) and text_a != text_b
                and support.marked(text_a, text_b) and new.get("facets")):
            raw_a, raw_b = text_a.encode(), text_b.encode()
            at = len(support.os.path.commonprefix([raw_a, raw_b]))
            added = len(raw_b) - len(raw_a)
            for facet in new["facets"]:
                index = facet.get("index", {})
                for key in ("byteStart", "byteEnd"):
                    if index.get(key, -1) >= at + added:
                        index[key] -= added
        for key in original.keys() & new.keys():
            unshift_facets(original[key], new[key])
    elif isinstance(original, list) and isinstance(new, list):
        for a, b in zip(original, new):
            unshift_facets(a, b)


@pytest.mark.parametrize("profile", support.PROFILES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_atproto_models_read_the_rewrite_as_the_original(case, profile):
    rw = support.rewrite(case, profile)
    before, after = view(case.data["url"], rw.original), view(case.data["url"], rw.body)
    assert before.objects, "the SDK built nothing from the original"
    for oid, data in after.objects.items():
        unshift_facets(before.objects.get(oid), data)
    support.check(rw, before, after, MARK_KEYS, must_see=lambda item_id: True)


def test_the_profiles_do_hide_bluesky_items():
    hidden = sum(len(support.rewrite(c, "no-personalized").hidden) for c in CASES)
    assert hidden >= 5, hidden


def test_a_mark_that_moves_facets_is_read_back_and_a_wrong_facet_is_not():
    """The facet correction recognises a prefix inserted before a link, and only that."""
    before = {"text": "see example.org", "facets": [{"index": {"byteStart": 4, "byteEnd": 15}}]}
    marked = {"text": "[Popular] see example.org",
              "facets": [{"index": {"byteStart": 14, "byteEnd": 25}}]}
    unshift_facets(before, marked)
    assert support.differences(before, marked, frozenset(MARK_KEYS)) == []
    stale = {"text": "[Popular] see example.org", "facets": [{"index": {"byteStart": 4, "byteEnd": 15}}]}
    unshift_facets(before, stale)
    assert support.differences(before, stale, frozenset(MARK_KEYS)) != []
