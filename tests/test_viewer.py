"""`own`: the viewer wrote or reposted the item (provenance.md, precedence 2), with the viewer's
id read from what the platform already tells the client, never from a secret."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from feedlens.adapters import AdapterSet, load_adapter
from feedlens.engine import Engine, Request
from feedlens.viewer import ViewerSpec, jwt_claims

PAGES = Path(__file__).parent / "data" / "pages.yaml"
PROFILE = "https://api.pages.test/profile"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(AdapterSet.of([load_adapter(PAGES)]))


def jwt(claims: dict) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{part}.c2lnbmF0dXJl"


def run(engine: Engine, cookie: str | None, items: list[dict]):
    request = Request("GET", PROFILE)
    if cookie is not None:
        request.viewer = engine.viewer(request, [("Cookie", cookie)])
    return engine.process(request, json.dumps({"items": items}).encode(), "application/json")


ITEMS = [{"vid": "mine", "by": "42"}, {"vid": "theirs", "by": "7"},
         {"vid": "my-repost", "by": "7", "via": "42"}, {"vid": "my-ad", "by": "42", "ad": True}]


def test_own_posts_and_reposts_are_own_ads_stay_promoted(engine):
    outcome = run(engine, "sid=secret-session; uid=u=42", ITEMS)
    assert [str(i.provenance) for i in outcome.items] == ["own", "unknown", "own", "promoted"]
    mine, repost = outcome.items[0], outcome.items[2]
    assert mine.rule == "profile#own" and mine.confidence == 0.95
    evidence = {e.path: e.value for e in mine.evidence}
    assert evidence["author_id"] == "42" and evidence["request.viewer"] == "the viewer, from the cookie uid"
    assert {e.path: e.value for e in repost.evidence}["reposted_by_id"] == "42"
    assert "secret-session" not in json.dumps([i.to_dict() for i in outcome.items])


def test_without_the_viewer_nothing_is_own(engine):
    assert [str(i.provenance) for i in run(engine, None, ITEMS).items] == [
        "unknown", "unknown", "unknown", "promoted"]
    assert [str(i.provenance) for i in run(engine, "sid=x", ITEMS).items] == [
        "unknown", "unknown", "unknown", "promoted"]


def test_a_cookie_that_does_not_fit_the_pattern_names_nobody(engine):
    assert "own" not in [str(i.provenance) for i in run(engine, "uid=42", ITEMS).items]


def test_viewer_from_a_cookie_value_url_encoded_and_quoted():
    spec = ViewerSpec.of({"cookie": "twid", "pattern": "u=(\\d+)"})
    assert spec.read([("cookie", 'guest_id=v1; twid="u%3D1234567"')]) == "1234567"
    assert spec.read([("cookie", "twid2=u%3D1")]) is None
    assert ViewerSpec.of({"cookie": "DedeUserID"}).read([("Cookie", "DedeUserID=208259; SESSDATA=s")]) == "208259"


def test_viewer_from_a_bearer_jwt_subject():
    spec = ViewerSpec.of({"jwt_claim": "sub"})
    assert spec.read([("Authorization", "Bearer " + jwt({"sub": "did:plc:me", "scope": "x"}))]) == "did:plc:me"
    assert spec.read([("Authorization", "Basic " + jwt({"sub": "did:plc:me"}))]) is None
    assert spec.read([("Authorization", "Bearer not-a-jwt")]) is None
    assert jwt_claims("a.!!!.c") is None and jwt_claims("a." + "b" * 9000 + ".c") is None


def test_a_response_describing_the_viewer_names_them(engine):
    me = Request("GET", "https://api.pages.test/me")
    assert engine.viewer_in(me, b'{"account": {"id": 42}}') == "42"
    assert engine.viewer_in(me, b'{"account": {}}') is None
    assert engine.viewer_in(me, b"not json") is None
    assert engine.viewer_in(Request("GET", "https://elsewhere.test/me"), b'{"account": {"id": 42}}') is None
    assert engine.viewer_in(Request("GET", PROFILE), b'{"account": {"id": 42}}') is None
