"""Each markup of feedlens.marks on small documents: where the mark goes, what moves with it."""

from __future__ import annotations

import pytest

from feedlens import marks
from feedlens.adapters import AdapterError, compile_adapter
from feedlens.jmes import Expr
from feedlens.yamlsrc import parse

P = "【推荐】"          # BMP: one code point, one UTF-16 unit, three UTF-8 bytes each
WIDE = "𝕄 "             # outside the BMP: 2 code points, 3 UTF-16 units, 5 UTF-8 bytes


def target(path: str, markup: str = "plain") -> marks.MarkTarget:
    found = marks.compile_target(Expr(path), markup)
    assert found is not None
    return found


def test_plain_prefixes_once():
    item = {"title": "Hello"}
    assert marks.write(item, [target("title")], P)
    assert not marks.write(item, [target("title")], P)
    assert item == {"title": P + "Hello"}


def test_alternatives_take_the_first_non_empty_string():
    item = {"reblog": None, "content": "", "spoiler": "  ", "text": "shown"}
    assert marks.write(item, [target("content || spoiler || text")], P)
    assert item["text"] == P + "shown" and item["content"] == "" and item["spoiler"] == "  "


def test_empty_or_absent_text_gets_no_mark():
    item = {"title": "", "desc": None}
    assert not marks.write(item, [target("title"), target("desc"), target("missing.path")], P)
    assert item == {"title": "", "desc": None}


def test_a_path_through_an_object_selecting_expression():
    status = {"reblog": {"content": "<p>orig</p>"}, "content": ""}
    assert marks.write(status, [target("(reblog || @).content", "html")], P)
    assert status["reblog"]["content"] == f"<p>{P}orig</p>" and status["content"] == ""
    tweet = {"tweet_results": {"result": {"tweet": {"legacy": {"full_text": "hi"}}}}}
    assert marks.write(tweet, [target("tweet_results.result | tweet || @ | legacy.full_text", "entities")], P)
    assert tweet["tweet_results"]["result"]["tweet"]["legacy"]["full_text"] == P + "hi"


@pytest.mark.parametrize("path", ["join('', [title])", "{a: title}.a", "title | to_string(@)"])
def test_paths_that_would_write_into_a_copy_are_refused(path):
    assert marks.compile_target(Expr(path), "plain") is None


@pytest.mark.parametrize("text, expected", [
    ("<p>Hello</p>", "<p>[R&amp;D] Hello</p>"),
    ("<p><span class=\"h-card\"><a href=\"https://x/@a\" class=\"u-url mention\">@<span>a</span></a></span> hi</p>",
     "<p>[R&amp;D] <span class=\"h-card\"><a href=\"https://x/@a\" class=\"u-url mention\">@<span>a</span></a></span> hi</p>"),
    ("<a href=\"/n/u\">@u</a> 你好<br />", "[R&amp;D] <a href=\"/n/u\">@u</a> 你好<br />"),
    ("<div class=\"md\"><p>text</p></div>", "<div class=\"md\"><p>[R&amp;D] text</p></div>"),
    ("plain words", "[R&amp;D] plain words"),
    ("&lt;div class=\"md\"&gt;&lt;p&gt;Reddit&lt;/p&gt;\n&lt;/div&gt;",
     "&lt;div class=\"md\"&gt;&lt;p&gt;[R&amp;amp;D] Reddit&lt;/p&gt;\n&lt;/div&gt;"),
])
def test_html_mark_sits_in_the_first_paragraph_never_in_a_link(text, expected):
    item = {"content": text}
    assert marks.write(item, [target("content", "html")], "[R&D] ")
    assert item["content"] == expected
    assert not marks.write(item, [target("content", "html")], "[R&D] ")


def test_facets_move_by_the_prefix_in_utf8_bytes():
    record = {"text": "see https://a.example @bob",
              "facets": [{"index": {"byteStart": 4, "byteEnd": 21}, "features": [{"uri": "https://a.example"}]},
                         {"index": {"byteStart": 22, "byteEnd": 26}, "features": [{"did": "did:plc:b"}]}]}
    assert marks.write(record, [target("text", "facets")], WIDE)
    data = record["text"].encode()
    assert [data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in record["facets"]] == [
        "https://a.example", "@bob"]
    assert not marks.write(record, [target("text", "facets")], WIDE)
    assert record["facets"][0]["index"] == {"byteStart": 9, "byteEnd": 26}


def test_x_legacy_text_is_marked_where_it_is_shown_with_indices_in_code_points():
    legacy = {"full_text": "@ann 𝕏 tips &amp; tricks https://t.co/x",
              "display_text_range": [5, 39],
              "entities": {"user_mentions": [{"screen_name": "ann", "indices": [0, 4]}],
                           "urls": [{"url": "https://t.co/x", "indices": [25, 39]}]},
              "extended_entities": {"media": [{"indices": [25, 39]}]}}
    assert marks.write(legacy, [target("full_text", "entities")], "[R&D] ")
    text = legacy["full_text"]
    assert text == "@ann [R&amp;D] 𝕏 tips &amp; tricks https://t.co/x"
    start, end = legacy["display_text_range"]
    assert start == 5 and text[start:end].startswith("[R&amp;D] ")
    mention, url = legacy["entities"]["user_mentions"][0], legacy["entities"]["urls"][0]
    assert text[slice(*mention["indices"])] == "@ann" and text[slice(*url["indices"])] == "https://t.co/x"
    assert legacy["extended_entities"]["media"][0]["indices"] == url["indices"]
    assert not marks.write(legacy, [target("full_text", "entities")], "[R&D] ")


def test_x_note_text_is_not_escaped_and_moves_its_entity_set():
    note = {"text": "a & b @cy", "entity_set": {"user_mentions": [{"indices": [6, 9]}]},
            "richtext": {"richtext_tags": [{"from_index": 0, "to_index": 1, "richtext_types": ["Bold"]}]},
            "media": {"inline_media": [{"index": 5}]}}
    assert marks.write(note, [target("text", "entities")], "[R&D] ")
    assert note["text"] == "[R&D] a & b @cy"
    assert note["text"][slice(*note["entity_set"]["user_mentions"][0]["indices"])] == "@cy"
    assert note["richtext"]["richtext_tags"][0]["from_index"] == 6 and note["media"]["inline_media"][0]["index"] == 11


def test_douyin_text_extra_moves_in_utf16_units():
    aweme = {"desc": "早餐 #早餐", "text_extra": [{"start": 3, "end": 6, "hashtag_name": "早餐", "type": 1}]}
    assert marks.write(aweme, [target("desc", "text_extra")], WIDE)
    extra = aweme["text_extra"][0]
    assert aweme["desc"].encode("utf-16-le")[2 * extra["start"]:2 * extra["end"]].decode("utf-16-le") == "#早餐"


def test_youtube_attributed_runs_move_in_utf16_units():
    title = {"content": "Watch @chan", "commandRuns": [{"startIndex": 6, "length": 5}],
             "styleRuns": [{"startIndex": 0, "length": 11}]}
    assert marks.write({"title": title}, [target("title.content", "attributed")], WIDE)
    assert title["commandRuns"][0]["startIndex"] == 9 and title["styleRuns"][0]["startIndex"] == 3


def test_bilibili_rich_text_nodes():
    text_first = {"text": "你好@甲", "rich_text_nodes": [
        {"type": "RICH_TEXT_NODE_TYPE_TEXT", "text": "你好", "orig_text": "你好"},
        {"type": "RICH_TEXT_NODE_TYPE_AT", "text": "@甲", "orig_text": "@甲", "rid": "1"}]}
    assert marks.write({"desc": text_first}, [target("desc.text", "rich_text")], P)
    assert text_first["rich_text_nodes"][0] == {"type": "RICH_TEXT_NODE_TYPE_TEXT", "text": P + "你好", "orig_text": P + "你好"}
    at_first = {"text": "@甲 你好", "rich_text_nodes": [
        {"type": "RICH_TEXT_NODE_TYPE_AT", "text": "@甲", "orig_text": "@甲", "rid": "1"}]}
    assert marks.write({"desc": at_first}, [target("desc.text", "rich_text")], P)
    assert at_first["rich_text_nodes"][0] == {"orig_text": P, "text": P, "type": "RICH_TEXT_NODE_TYPE_TEXT"}
    assert at_first["rich_text_nodes"][1]["rid"] == "1" and at_first["text"] == P + "@甲 你好"
    assert not marks.write({"desc": at_first}, [target("desc.text", "rich_text")], P)


ADAPTER = """title: T
platform: t
version: 1
expires: 1 day
homepage: https://example.org
licence: GPL-3.0-or-later
endpoints:
  - name: e
    match: {host: example.org, path: /feed}
    surface: home
    items: data
    fields: {id: id, title: "join('', [title])", text: body}
    MARK
    provenance:
      - default: unknown
"""


def _adapter(mark: str):
    return compile_adapter(parse(ADAPTER.replace("MARK", mark), "t.yaml"))


def test_default_mark_is_the_title_field_else_the_text_field():
    # the title here is computed (join), which cannot be written to: no default target
    assert _adapter("").endpoints[0].shape.marks == []
    shape = _adapter("mark: {field: text, markup: html}").endpoints[0].shape
    assert [(t.source, t.markup) for t in shape.marks] == [("body", "html")]


def test_mark_none_says_why():
    shape = _adapter('mark: {none: "no text"}').endpoints[0].shape
    assert shape.marks == [] and shape.unmarked == "no text"


@pytest.mark.parametrize("mark, message", [
    ("mark: {field: title}", "cannot be written to"),
    ("mark: {path: \"length(body)\"}", "cannot be written to"),
    ("mark: {path: body, markup: bbcode}", "markup"),
    ("mark: {field: author}", "field"),
])
def test_bad_marks_are_refused_with_the_line(mark, message):
    with pytest.raises(AdapterError) as error:
        _adapter(mark)
    assert any(message in line and line.startswith("t.yaml:") for line in error.value.messages), error.value.messages
