"""The engine on a small demo adapter: marks, evidence, rewrite, routing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from feedlens.adapters import load_adapters
from feedlens.engine import Engine, Request
from feedlens.profiles import MARK_ONLY, compile_profile
from feedlens.yamlsrc import parse

from .conftest import DATA

HOME_URL = "https://api.demo.test/feed/home?page=1"


@pytest.fixture(scope="module")
def adapters():
    loaded = load_adapters([DATA / "demo.yaml"])
    assert loaded.errors == []
    return loaded


def profile(text: str):
    return compile_profile(parse(text, "test-profile.yaml"))


def run(adapters, rules_yaml=None, body=None, url=HOME_URL, method="GET", request_body=None,
        content_type="application/json", now=datetime(2026, 11, 22, 12, 0)):
    engine = Engine(adapters, profile(rules_yaml) if rules_yaml else MARK_ONLY,
                    clock=lambda: now)
    body = body if body is not None else (DATA / "demo_home.json").read_bytes()
    request = Request(method, url, json.dumps(request_body).encode() if request_body else None)
    return engine.process(request, body, content_type)


def test_marks_provenance_reason_evidence_and_labels(adapters):
    outcome = run(adapters)
    assert outcome.endpoint == "home" and outcome.platform == "demo" and not outcome.changed
    assert [i.id for i in outcome.items] == ["v1", "v2", "v3", "v4", "v5"]
    assert outcome.counts() == {"followed": 2, "promoted": 1, "personalized": 1, "popular": 1}
    ad = outcome.items[1]
    assert ad.reason == "广告" and ad.labels == ["sponsored"] and ad.confidence == 0.9
    assert [(e.path, e.value) for e in ad.evidence] == [("ad.is_ad", True)]
    assert ad.rule == "home#1"
    popular = outcome.items[3]
    assert popular.reason == "百万播放"
    assert ("reason.type", 3) in [(e.path, e.value) for e in popular.evidence]
    plain = outcome.items[2]
    assert plain.labels == ["ai-generated"]
    assert {e.source for e in plain.evidence} == {"endpoint"}
    assert outcome.items[0].author == "Alice" and outcome.items[0].author_id == "11"
    assert outcome.items[0].published == 1700000100


def test_hide_keeps_cursor_and_page_fields(adapters):
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: no-ads, when: {provenance: promoted}, action: hide}\n")
    assert outcome.changed
    doc = json.loads(outcome.body)
    assert [e.get("id") for e in doc["data"]["list"]] == ["v1", "v3", "v4", "v5", None]
    assert doc["data"]["list"][-1] == {"type": "cursor", "offset": "abc123"}
    assert doc["data"]["has_more"] is True and doc["code"] == 0
    assert outcome.items[1].decision == "hide" and outcome.items[1].decision_rule == "no-ads"


def test_hidden_items_leave_the_other_elements_where_they_were(adapters):
    # A non-item between items (a cursor, an X module whose tweets are items of their own) keeps
    # its place between its neighbours when an item before it is hidden; moved items take the
    # slots the kept items occupy.
    body = json.dumps({"data": {"list": [
        {"id": "a", "ad": {"is_ad": True}}, {"type": "cursor", "name": "between"},
        {"id": "b", "owner": {"following": True}}, {"id": "c", "ad": {"is_ad": True}}, {"id": "d"},
        {"type": "cursor", "name": "end"}]}}).encode()
    rules = """title: t
version: 1
rules:
  - {id: no-ads, when: {provenance: promoted}, action: hide}
  - {id: followed-last, when: {provenance: followed}, action: move_to_end}
"""
    rows = json.loads(run(adapters, rules, body=body).body)["data"]["list"]
    assert [r.get("id") or r["name"] for r in rows] == ["between", "d", "b", "end"]


def test_move_to_end_and_chronological(adapters):
    rules = """title: t
version: 1
rules:
  - {id: ads-last, when: {provenance: promoted}, action: move_to_end}
  - {id: chrono, when: {provenance: followed}, action: chronological}
"""
    doc = json.loads(run(adapters, rules).body)
    # followed v1 (t=100) and v5 (t=400) swap slots newest first; the ad goes last, cursor stays last.
    assert [e.get("id") for e in doc["data"]["list"]] == ["v5", "v3", "v4", "v1", "v2", None]


def test_limit_keeps_first_n_matches(adapters):
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: two, when: {}, action: limit, max: 2}\n")
    assert [i.decision for i in outcome.items] == ["keep", "keep", "hide", "hide", "hide"]
    assert [e.get("id") for e in json.loads(outcome.body)["data"]["list"]] == ["v1", "v2", None]


def test_allow_only_hides_unlisted(adapters):
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: alice, when: {author: Alice}, action: allow_only}\n")
    assert [i.decision for i in outcome.items] == ["keep", "hide", "hide", "hide", "keep"]
    assert outcome.items[1].decision_rule == "allow_only:unlisted"


def test_title_prefix_in_platform_language(adapters):
    outcome = run(adapters, "title: t\nversion: 1\nmark: {title_prefix: all}\nrules: []\n")
    titles = [e.get("title") for e in json.loads(outcome.body)["data"]["list"]]
    assert titles[:4] == ["【关注】早安 Morning vlog", "【广告】限时优惠 Big sale",
                          "【推荐】ＡＢＣ 全角 title", "【热门】百万播放 hit"]
    assert outcome.items[0].title == "早安 Morning vlog"  # the mark is on the page, not the item


def test_label_action_uses_rule_text(adapters):
    rules = "title: t\nversion: 1\nrules:\n - {id: ai, when: {labels: [ai-generated]}, action: label, text: '[AI] '}\n"
    titles = [e.get("title") for e in json.loads(run(adapters, rules).body)["data"]["list"]]
    assert titles[2] == "[AI] ＡＢＣ 全角 title" and titles[0] == "早安 Morning vlog"


def test_nested_containers_request_condition_and_wildcard_host(adapters):
    body = json.dumps({"data": {"instructions": [
        {"type": "TimelineClearCache"},
        {"type": "TimelineAddEntries", "entries": [
            {"entryId": "t-1", "content": {"text": "hello"}},
            {"entryId": "t-2", "content": {"caption": "buy", "promoted": True}},
            {"entryId": "cursor-bottom-1", "content": {"value": "X"}}]}]}}).encode()
    url = "https://m.demo.test/v2/timeline/home"
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n",
                  body=body, url=url, method="POST", request_body={"tab": "home"})
    assert outcome.endpoint == "nested" and outcome.counts() == {"personalized": 1, "promoted": 1}
    entries = json.loads(outcome.body)["data"]["instructions"][1]["entries"]
    assert [e["entryId"] for e in entries] == ["t-1", "cursor-bottom-1"]
    assert outcome.items[1].title == "buy"
    other_tab = run(adapters, body=body, url=url, method="POST", request_body={"tab": "search"})
    assert other_tab.endpoint is None and other_tab.reason == "not a feed endpoint"
    assert run(adapters, body=body, url=url, method="GET").endpoint is None


def test_graphql_operation_name_not_hash(adapters):
    body = json.dumps({"data": {"home": {"instructions": [{"entries": [
        {"entryId": "conversation-1", "content": {"items": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]}},
        {"entryId": "cursor-top-9"}]}]}}}).encode()
    for url in ("https://api.demo.test/i/api/graphql/AbC123hash/HomeTimeline?variables=%7B%7D",
                "https://api.demo.test/i/api/graphql/ZZ9rotated/HomeTimeline"):
        outcome = run(adapters, body=body, url=url)
        assert outcome.endpoint == "gql-home"
        assert outcome.items[0].parts == [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]
    by_body = run(adapters, body=body, url="https://api.demo.test/graphql", method="POST",
                  request_body={"operationName": "HomeTimeline"})
    assert by_body.endpoint == "gql-home"
    assert run(adapters, body=body, url="https://api.demo.test/i/api/graphql/x/Other").endpoint is None


def test_embedded_json_in_html_written_back(adapters):
    state = {"feed": {"list": [{"id": "a", "title": "推荐 one"}, {"id": "b", "title": "ad </script> two", "ad": True}]},
             "user": {"name": "me"}}
    html = ("<html><head><script>window.__INITIAL_STATE__=" + json.dumps(state, ensure_ascii=False)
            + ";(function(){})();</script></head><body>页面</body></html>")
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n",
                  body=html.encode(), url="https://www.demo.test/", content_type="text/html; charset=utf-8")
    assert outcome.counts() == {"personalized": 1, "promoted": 1} and outcome.changed
    page = outcome.body.decode()
    assert page.startswith("<html><head><script>window.__INITIAL_STATE__=")
    assert page.endswith(";(function(){})();</script></head><body>页面</body></html>")
    start = page.index("=") + 1
    doc, _ = json.JSONDecoder().raw_decode(page, start)
    assert doc == {"feed": {"list": [{"id": "a", "title": "推荐 one"}]}, "user": {"name": "me"}}


def test_embedded_json_escapes_script_end(adapters):
    state = {"feed": {"list": [{"id": "a", "title": "x </script><script>alert(1)</script>"}]}}
    html = "<script>window.__INITIAL_STATE__=" + json.dumps(state) + "</script>"
    outcome = run(adapters, "title: t\nversion: 1\nmark: {title_prefix: all}\nrules: []\n",
                  body=html.encode(), url="https://www.demo.test/", content_type="text/html")
    assert outcome.changed
    assert outcome.body.decode().count("</script>") == 1


def test_find_mode_removes_nearest_list_element(adapters):
    body = json.dumps({"contents": {"sections": [
        {"wrapper": {"content": {"videoCard": {"vid": "x1", "title": {"text": "one"}}}}},
        {"wrapper": {"content": {"adCard": {"slot": "ad-1", "videoCard": {"vid": "inside-ad"}}}}},
        {"shelf": {"items": [{"videoCard": {"vid": "x2", "title": {"text": "two"}}},
                             {"videoCard": {"vid": "x3", "title": {"text": "three"}}}]}},
        {"continuation": {"token": "NEXT"}}]}}).encode()
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n"
                  " - {id: x2, when: {keywords: [two]}, action: hide}\n", body=body, url="https://api.demo.test/tree")
    assert [(i.id, str(i.provenance), i.kind) for i in outcome.items] == [
        ("x1", "personalized", "video"), ("ad-1", "promoted", "ad"), ("x2", "personalized", "video"),
        ("x3", "personalized", "video")]
    sections = json.loads(outcome.body)["contents"]["sections"]
    assert len(sections) == 3 and sections[-1] == {"continuation": {"token": "NEXT"}}
    assert sections[1]["shelf"]["items"] == [{"videoCard": {"vid": "x3", "title": {"text": "three"}}}]


def test_gbk_charset_preserved(adapters):
    doc = {"data": {"list": [{"id": "g1", "title": "中文标题", "owner": {"name": "张三"}}]}}
    body = json.dumps(doc, ensure_ascii=False).encode("gbk")
    outcome = run(adapters, "title: t\nversion: 1\nmark: {title_prefix: all}\nrules: []\n", body=body,
                  content_type="application/json; charset=GBK")
    assert outcome.changed
    assert json.loads(outcome.body.decode("gbk"))["data"]["list"][0]["title"] == "【推荐】中文标题"


def test_utf8_bom_kept(adapters):
    body = b"\xef\xbb\xbf" + (DATA / "demo_home.json").read_bytes()
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: h, when: {provenance: promoted}, action: hide}\n", body=body)
    assert outcome.changed and outcome.body.startswith(b"\xef\xbb\xbf")
    assert len(json.loads(outcome.body[3:])["data"]["list"]) == 5


HIDE_ALL = "title: t\nversion: 1\nmark: {title_prefix: all}\nrules:\n - {id: h, when: {}, action: hide}\n"


@pytest.mark.parametrize("body, content_type, reason", [
    (b'{"data": {"list": [', "application/json", "not JSON"),
    (b"<html>oops</html>", "text/html", "not JSON"),
    (b'"just a string"', "application/json", "not an object"),
    (b"\xff\xfe\xfa{}", "application/json", "not valid utf-8"),
    (b'{"data": {"list": "not a list"}}', None, None),
    (b'{"data": [1, 2, 3]}', "", None),
])
def test_bad_input_means_no_change(adapters, body, content_type, reason):
    outcome = run(adapters, HIDE_ALL, body=body, content_type=content_type)
    assert outcome.error is None and not outcome.changed and outcome.body is None
    assert outcome.items == []
    if reason:
        assert reason in outcome.reason


DEMO_HOME = (DATA / "demo_home.json").read_bytes()


@pytest.mark.parametrize("number, reason", [
    (b"NaN", "not JSON"), (b"-Infinity", "not JSON"), (b"Infinity", "not JSON"),
    (b"1e400", "past a float's range"), (b"-2.5E+999", "past a float's range")])
def test_a_number_json_cannot_carry_back_passes_unchanged(adapters, number, reason):
    """Found by benchmarks/soak.py: NaN/Infinity are not JSON (RFC 8259), and 1e400 parsed to
    inf was written back as `Infinity`, which JSON.parse refuses: a valid page broke."""
    body = DEMO_HOME.replace(b'{"code": 0,', b'{"code": ' + number + b",", 1)
    assert body != DEMO_HOME
    outcome = run(adapters, HIDE_ALL, body=body)
    assert outcome.error is None and not outcome.changed and outcome.body is None
    assert reason in outcome.reason
    assert {item.decision for item in outcome.items} <= {"keep"}  # shown as sent, logged so


def test_large_but_finite_numbers_are_still_processed(adapters):
    body = DEMO_HOME.replace(b'{"code": 0,', b'{"code": 1.5e308,', 1)
    outcome = run(adapters, HIDE_ALL, body=body)
    assert outcome.changed and b"1.5e+308" in outcome.body


def test_only_object_entries_are_items_and_the_rest_stays_in_place(adapters):
    """A list mixing scalars, nulls and lists with one object: only the object is an item (its
    id is not a scalar, so it has none); hiding it leaves every other entry where it was."""
    body = b'{"data": {"list": [1, "x", null, [], {"id": {"deep": true}}]}}'
    outcome = run(adapters, HIDE_ALL, body=body)
    assert outcome.error is None
    assert [(item.id, item.decision) for item in outcome.items] == [(None, "hide")]
    assert json.loads(outcome.body) == {"data": {"list": [1, "x", None, []]}}



def test_body_over_cap_is_passed(adapters):
    engine = Engine(adapters, body_cap=100)
    outcome = engine.process(Request("GET", HOME_URL), (DATA / "demo_home.json").read_bytes(), "application/json")
    assert outcome.endpoint == "home" and not outcome.changed and "over the cap" in outcome.reason


def test_engine_bug_fails_open(adapters, monkeypatch):
    import feedlens.engine as engine_module

    def explode(*args, **kwargs):
        raise RuntimeError("adapter bug")
    monkeypatch.setattr(engine_module, "build_item", explode)
    outcome = run(adapters, "title: t\nversion: 1\nrules:\n - {id: h, when: {}, action: hide}\n")
    assert not outcome.changed and outcome.body is None
    assert outcome.error == "RuntimeError: adapter bug" and outcome.endpoint == "home"


def test_non_feed_request_is_dismissed(adapters):
    engine = Engine(adapters)
    assert engine.candidates("GET", "www.example.com", "/video.mp4") == []
    assert engine.candidates("GET", "api.demo.test", "/other") == []
    outcome = engine.process(Request("GET", "https://cdn.example.com/a.js"), b"x" * 10, "text/javascript")
    assert outcome.endpoint is None and outcome.reason == "not a feed endpoint"


def test_evidence_for_quoted_keys(tmp_path):
    adapter = (DATA / "demo.yaml").read_text().replace(
        '- {when: "ad.is_ad", is: promoted, reason: "ad.mark", label: sponsored}',
        '- {when: "ad.\\"$type\\" == \'promo\'", is: promoted}')
    (tmp_path / "demo.yaml").write_text(adapter)
    body = json.dumps({"data": {"list": [{"id": "a", "ad": {"$type": "promo"}}]}}).encode()
    outcome = run(load_adapters([tmp_path / "demo.yaml"]), body=body)
    assert outcome.error is None and outcome.counts() == {"promoted": 1}
    assert [(e.path, e.value) for e in outcome.items[0].evidence] == [('ad."$type"', "promo")]


def test_nested_projections_reach_the_innermost_lists(tmp_path):
    adapter = (DATA / "demo.yaml").read_text().replace(
        'items: "data.instructions[*].entries"', 'items: "data.instructions[*].modules[*].entries"')
    (tmp_path / "demo.yaml").write_text(adapter)
    body = json.dumps({"data": {"instructions": [
        {"modules": [{"entries": [{"entryId": "a"}, {"entryId": "b"}]}, {"other": 1}]},
        {"modules": [{"entries": [{"entryId": "c", "content": {"promoted": True}}]}]}]}}).encode()
    outcome = run(load_adapters([tmp_path / "demo.yaml"]),
                  "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n",
                  body=body, url="https://m.demo.test/v2/timeline/home", method="POST", request_body={"tab": "home"})
    assert [i.id for i in outcome.items] == ["a", "b", "c"]
    assert json.loads(outcome.body)["data"]["instructions"][1]["modules"][0]["entries"] == []


def test_evidence_skips_absent_alternatives(tmp_path):
    adapter = (DATA / "demo.yaml").read_text().replace(
        '- {when: "ad.is_ad", is: promoted, reason: "ad.mark", label: sponsored}',
        '- {when: "promo.flag || ad.is_ad || sponsor.id", is: promoted}')
    (tmp_path / "demo.yaml").write_text(adapter)
    outcome = run(load_adapters([tmp_path / "demo.yaml"]))
    assert [(e.path, e.value) for e in outcome.items[1].evidence] == [("ad.is_ad", True)]


def test_titles_lose_highlight_markup(adapters):
    body = json.dumps({"data": {"list": [{"id": "s", "title": "<em class=\"keyword\">原神</em> &amp; more"}]}}).encode()
    assert run(adapters, body=body).items[0].title == "原神 & more"


def test_find_context_and_compound_elements(tmp_path):
    adapter = (DATA / "demo.yaml").read_text().replace(
        "    items:\n      find:\n        videoCard:",
        "    items:\n      context: {shelf: title}\n      find:\n        videoCard:").replace(
        "      - {type: adCard, is: promoted}\n",
        "      - {type: adCard, is: promoted}\n      - {context: \"shelf == 'Trending'\", is: popular}\n")
    (tmp_path / "demo.yaml").write_text(adapter)
    body = json.dumps({"tab": [{"page": {
        "masthead": {"adCard": {"slot": "top-ad"}},
        "rows": [{"videoCard": {"vid": "a"}},
                 {"shelf": {"title": "Trending", "items": [{"videoCard": {"vid": "b"}}]}}]}}]}).encode()
    outcome = run(load_adapters([tmp_path / "demo.yaml"]),
                  "title: t\nversion: 1\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n",
                  body=body, url="https://api.demo.test/tree")
    assert [(i.id, str(i.provenance)) for i in outcome.items] == [
        ("top-ad", "promoted"), ("a", "personalized"), ("b", "popular")]
    assert ("context.shelf", "Trending") in [(e.path, e.value) for e in outcome.items[2].evidence]
    page = json.loads(outcome.body)["tab"][0]["page"]
    assert page["masthead"] == {} and len(page["rows"]) == 2  # the ad went, the grid stayed


def test_find_remove_emptied_drops_a_module_once_all_its_items_are_hidden(tmp_path):
    adapter = (DATA / "demo.yaml").read_text().replace(
        "    items:\n      find:\n        videoCard:",
        "    items:\n      remove_emptied: \"kind == 'module'\"\n      find:\n        videoCard:")
    (tmp_path / "demo.yaml").write_text(adapter)
    loaded = load_adapters([tmp_path / "demo.yaml"])
    assert loaded.errors == []

    def module(name, *vids):
        return {"kind": "module", "name": name, "items": [
            *({"wrap": {"videoCard": {"vid": v, "title": {"text": v}}}} for v in vids), {"cursor": "show-more"}]}
    body = json.dumps({"rows": [module("m1", "a1", "a2"), {"videoCard": {"vid": "b", "title": {"text": "b"}}},
                                module("m2", "c1", "c2"), {"cursor": "NEXT"}]}).encode()
    url = "https://api.demo.test/tree"
    outcome = run(loaded, body=body, url=url)
    assert [i.id for i in outcome.items] == ["a1", "a2", "b", "c1", "c2"]  # document order
    # a1 and a2 kept; b, c1 and c2 hidden: m2 is emptied and goes (its show-more cursor with
    # it); m1 stays whole; the page's cursor stays
    rules = "title: t\nversion: 1\nrules:\n - {id: two, when: {}, action: limit, max: 2}\n"
    rows = json.loads(run(loaded, rules, body=body, url=url).body)["rows"]
    assert [r.get("name") or r.get("cursor") for r in rows] == ["m1", "NEXT"]
    assert rows[0] == module("m1", "a1", "a2")
    # one of m2's items kept: m2 stays with it
    rules = "title: t\nversion: 1\nrules:\n - {id: b, when: {keywords: [b, c2]}, action: hide}\n"
    rows = json.loads(run(loaded, rules, body=body, url=url).body)["rows"]
    assert rows == [module("m1", "a1", "a2"), module("m2", "c1"), {"cursor": "NEXT"}]
    # without remove_emptied an emptied module stays, holding only its cursor
    rules = "title: t\nversion: 1\nrules:\n - {id: two, when: {}, action: limit, max: 2}\n"
    rows = json.loads(run(load_adapters([DATA / "demo.yaml"]), rules, body=body, url=url).body)["rows"]
    assert [r.get("name") or r.get("cursor") for r in rows] == ["m1", "m2", "NEXT"]
    assert rows[1]["items"] == [{"cursor": "show-more"}]
