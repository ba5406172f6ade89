"""Page 2+ inherits the surface of the page that issued its token (provenance.md, "Parameters
choose the surface"); without that page it is marked by what the body shows, else `unknown`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedlens.adapters import load_adapter
from feedlens.adapters import AdapterSet
from feedlens.continuations import ContinuationMemory, token_key
from feedlens.engine import Engine, Request

PAGES = Path(__file__).parent / "data" / "pages.yaml"
BROWSE = "https://api.pages.test/browse"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(AdapterSet.of([load_adapter(PAGES)]))


def browse(body: dict) -> Request:
    return Request("POST", BROWSE, json.dumps(body).encode(), "application/json")


def page(*ids: str, next_token: str | None = None, ad: str | None = None) -> bytes:
    items = [{"vid": i, "by": "7"} for i in ids] + ([{"vid": ad, "ad": True}] if ad else [])
    return json.dumps({"items": items, "next": next_token}).encode()


def through(engine: Engine, memory: ContinuationMemory, request: Request, body: bytes, client="10.0.0.2"):
    """What the proxy does around each response: recall, process, remember."""
    engine.recall(memory, client, request)
    outcome = engine.process(request, body, "application/json")
    engine.remember(memory, client, outcome)
    return outcome


def test_page_two_inherits_the_surface_of_the_page_that_issued_its_token(engine):
    memory = ContinuationMemory()
    first = through(engine, memory, browse({"tab": "trending"}), page("a", "b", next_token="T2"))
    assert first.endpoint == "trending" and first.tokens == [token_key("T2")]
    second = through(engine, memory, browse({"continuation": "T2"}), page("c", "d", next_token="T3", ad="x"))
    assert second.endpoint == "trending"
    assert [str(i.provenance) for i in second.items] == ["popular", "popular", "promoted"]
    assert any(e.path == "request.continuation" for e in second.items[0].evidence)
    third = through(engine, memory, browse({"continuation": "T3"}), page("e"))
    assert third.endpoint == "trending", "page 3 continues page 2, which continued trending"


def test_the_same_token_text_on_two_tabs_goes_where_it_was_issued(engine):
    memory = ContinuationMemory()
    through(engine, memory, browse({"tab": "home"}), page("a", next_token="H2"))
    through(engine, memory, browse({"tab": "trending"}), page("b", next_token="P2"))
    assert through(engine, memory, browse({"continuation": "H2"}), page("c")).endpoint == "home"
    assert through(engine, memory, browse({"continuation": "P2"}), page("d")).endpoint == "trending"


def test_a_continuation_of_an_unseen_page_is_unknown_with_that_reason_and_ads_still_promoted(engine):
    outcome = through(engine, ContinuationMemory(), browse({"continuation": "never-issued"}),
                      page("a", "b", ad="x"))
    assert outcome.endpoint == "continuation"
    assert [str(i.provenance) for i in outcome.items] == ["unknown", "unknown", "promoted"]
    why = next(e.value for e in outcome.items[0].evidence if e.path == "why")
    assert why.startswith("continuation of an unseen page")


def test_tokens_are_per_client(engine):
    memory = ContinuationMemory()
    through(engine, memory, browse({"tab": "trending"}), page("a", next_token="T2"), client="10.0.0.2")
    other = through(engine, memory, browse({"continuation": "T2"}), page("b"), client="10.0.0.3")
    assert other.endpoint == "continuation"


def test_tokens_expire_and_the_memory_is_bounded():
    now = [0.0]
    memory = ContinuationMemory(capacity=3, ttl=60, clock=lambda: now[0])
    memory.remember("c", "pages", ["k1", "k2"], "trending")
    memory.remember("c", "pages", ["k3", "k4"], "home")
    assert len(memory) == 3 and memory.parent("c", "pages", "k1") is None  # oldest out first
    assert memory.parent("c", "pages", "k4") == "home"
    now[0] = 61
    assert memory.parent("c", "pages", "k4") is None and len(memory) == 2


def test_tokens_from_several_places_in_a_page_are_remembered_as_digests(engine):
    body = json.dumps({"items": [{"vid": "a"}], "next": "N",
                       "shelves": [{"more": "S1"}, {"more": "S2"}, {"more": None}]}).encode()
    outcome = engine.process(browse({"tab": "home"}), body, "application/json")
    assert outcome.tokens == [token_key("N"), token_key("S1"), token_key("S2")]
    assert all("N" != t and len(t) == 24 for t in outcome.tokens)


def test_an_endpoint_can_opt_out_of_the_adapters_continuation(engine):
    profile = Request("GET", "https://api.pages.test/profile?cursor=abc")
    outcome = engine.process(profile, page("a", next_token="P"), "application/json")
    assert outcome.endpoint == "profile" and outcome.tokens == []


def test_a_remembered_parent_that_does_not_serve_this_path_is_ignored(engine):
    request = Request("GET", "https://api.pages.test/profile")
    request.parent = "trending"  # e.g. a stale entry after a rules change
    assert engine.select(request).name == "profile"


# -- the command line reproduces the proxy's decision offline -------------------------------------

@pytest.fixture
def rules(tmp_path) -> Path:
    from .test_runtime import write_demo_rules
    root = write_demo_rules(tmp_path / "rules")
    (root / "platforms" / "pages.yaml").write_bytes(PAGES.read_bytes())
    return root


def classify(rules: Path, tmp_path: Path, capsys, body: dict, *flags: str):
    from feedlens.cli import main
    (tmp_path / "req.json").write_text(json.dumps(body))
    (tmp_path / "page2.json").write_bytes(page("c", next_token="T3"))
    code = main(["--rules", str(rules), "classify", str(tmp_path / "page2.json"), "--url", BROWSE,
                 "--method", "POST", "--request-body", str(tmp_path / "req.json"), "--format", "jsonl", *flags])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_cli_context_gives_page_two_its_parent(rules, tmp_path, capsys):
    (tmp_path / "page1.json").write_bytes(page("a", next_token="T2"))
    (tmp_path / "req1.json").write_text(json.dumps({"tab": "trending"}))
    code, items, err = classify(rules, tmp_path, capsys, {"continuation": "T2"}, "--context",
                                str(tmp_path / "page1.json"), "--context-request-body", str(tmp_path / "req1.json"))
    assert code == 0 and items[0]["endpoint"] == "trending" and items[0]["provenance"] == "popular"
    assert "continues pages/trending" in err


def test_cli_without_context_says_unseen(rules, tmp_path, capsys):
    code, items, _ = classify(rules, tmp_path, capsys, {"continuation": "T2"})
    assert code == 0 and items[0]["provenance"] == "unknown"


def test_cli_context_that_is_no_feed_is_a_clear_error(rules, tmp_path, capsys):
    (tmp_path / "page1.json").write_text("{}")
    code, _, err = classify(rules, tmp_path, capsys, {"continuation": "T2"}, "--context", str(tmp_path / "page1.json"))
    assert code != 0 and "--context-url" in err


def test_cli_header_names_the_viewer(rules, tmp_path, capsys):
    (tmp_path / "req.json").write_text(json.dumps({"tab": "home"}))
    (tmp_path / "p.json").write_text(json.dumps({"items": [{"vid": "m", "by": "42"}]}))
    from feedlens.cli import main
    code = main(["--rules", str(rules), "classify", str(tmp_path / "p.json"), "--url", BROWSE, "--method", "POST",
                 "--request-body", str(tmp_path / "req.json"), "--format", "jsonl",
                 "--header", "Cookie: sid=SECRET; uid=u=42"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out.splitlines()[0])["provenance"] == "own" and "SECRET" not in out


def test_tokens_found_by_key_in_the_text_or_the_document_alike():
    from feedlens.continuations import ContinuationSpec, issued_tokens
    from feedlens.jmes import compile_expr
    spec = ContinuationSpec(compile_expr("token")[0], compile_expr("body.continuation")[0], "continuationCommand")
    doc = {"a": [{"continuationItemRenderer": {"continuationEndpoint": {"continuationCommand": {"token": "A"}}}}],
           "note": "the text \"continuationCommand\": is not JSON here",
           "b": {"x": {"continuationCommand": {"token": "B", "request": "BROWSE"}}}}
    text = json.dumps(doc, indent=1)
    assert set(issued_tokens(spec, doc, text)) == set(issued_tokens(spec, doc)) == {token_key("A"), token_key("B")}
