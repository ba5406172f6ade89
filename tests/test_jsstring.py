"""JSON held in a JavaScript string literal (embedded `encoding: js_string`): YouTube's mobile
web pages write `var ytInitialData = '\\x7b\\x22…';`. Decoding follows ECMAScript, writing keeps
the page safe inside a <script>, and anything malformed is "no embedded data", never an error."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedlens import embedded, jsstring
from feedlens.adapters import load_adapters
from feedlens.engine import Engine, Request
from feedlens.profiles import MARK_ONLY, compile_profile
from feedlens.yamlsrc import parse

NASTY = [
    "",
    "plain",
    "it's \"quoted\" and 'single'",
    "back\\slash \\x41 \\u0041 \\\\",
    "</script><script>alert(1)</script><!-- -->",
    "a & b <= c > d = e / f `g`",
    "emoji 😀 👍🏽 🇬🇧",
    "separators \u2028 and \u2029 and \x85",
    "中文标题：“引号”与《书名》",
    "controls \x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f",
    "lone \ud83d surrogate",
]

ADAPTER = """
title: js string demo
platform: jsdemo
version: 1
expires: 30 days
homepage: https://example.test/
licence: GPL-3.0-or-later
continuation: {find: continuationCommand, issued: token, token: body.continuation}
endpoints:
  - name: page
    match: {host: [www.jsdemo.test, m.jsdemo.test], path: /}
    body: html
    embedded:
      - {assign: "var ytInitialData ="}
      - {assign: "var ytInitialData =", encoding: js_string}
    surface: home
    items: feed.list
    fields: {id: id, title: title}
    provenance:
      - {when: "ad", is: promoted}
      - {default: personalized}
"""
HIDE_ADS = "title: t\nversion: 1\nmark: {title_prefix: all}\nrules:\n - {id: ads, when: {provenance: promoted}, action: hide}\n"
STATE = {"feed": {"list": [{"id": "v1", "title": "Tape deck </script> repair"},
                           {"id": "ad1", "title": "Buy 'now' & save", "ad": True},
                           {"id": "v2", "title": "面条 😀 \u2028 night"}]},
         "meta": {"url": "/watch?v=v1&t=3"},
         "next": {"continuationCommand": {"token": "4qmFsgI/abc=", "request": "BROWSE"}}}


def youtube_style(text: str) -> str:
    """Escape as YouTube's mobile pages do: brackets, quotes, `=`, `&`, `<`, `>` as \\xHH,
    `/` as `\\/`, while `:` and `,` stay as they are."""
    table = {c: "\\x%02x" % ord(c) for c in "{}[]\"'=&<>"}
    table.update({"\\": "\\\\", "/": "\\/"})
    return "".join(table.get(c, c) for c in text)


def page(state, quote="'", before="<html><head><script nonce=\"n0nce\">var ytInitialData = ",
         after=";window['ytInitialData'] = JSON.parse(ytInitialData);</script></head><body>页</body></html>"):
    body = youtube_style(json.dumps(state, ensure_ascii=False, separators=(",", ":")))
    return before + quote + body + quote + after


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    path = tmp_path_factory.mktemp("jsdemo") / "jsdemo.yaml"
    path.write_text(ADAPTER, encoding="utf-8")
    loaded = load_adapters([path])
    assert loaded.errors == []
    return loaded


def run(adapters, html: str, rules=HIDE_ADS, host="m.jsdemo.test"):
    engine = Engine(adapters, compile_profile(parse(rules, "p.yaml")) if rules else MARK_ONLY,
                    clock=lambda: datetime(2026, 12, 6, 12))
    return engine.process(Request("GET", f"https://{host}/"), html.encode(), "text/html; charset=utf-8")


# -- decoding and encoding ----------------------------------------------------------------------

@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("quote", ["'", '"'])
def test_round_trip_of_nasty_strings(value, quote):
    body = jsstring.encode(value)
    assert body.isascii()
    assert not any(c in body for c in "'\"<>&\r\n\u2028\u2029")
    assert jsstring.find_end(quote + body + quote + ";", 0) == len(body) + 1
    assert jsstring.decode(body) == value


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip_of_any_text_and_both_decoders_agree(value):
    body = jsstring.encode(value)
    assert jsstring.decode(body) == value
    general = jsstring._TOKEN.sub(jsstring._one, body)
    assert general.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass") == value


def test_decodes_a_youtube_style_snippet():
    body = (r"\x7b\x22contents\x22:\x7b\x22videoWithContextRenderer\x22:\x7b\x22videoId\x22:"
            r"\x22abC1dEf2gH3\x22,\x22headline\x22:\x7b\x22runs\x22:\x5b\x7b\x22text\x22:"
            r"\x22Caf\u00e9 \ud83d\ude00 \u2014 \x3cb\x3e\x22\x7d\x5d\x7d,\x22url\x22:"
            r"\x22\/watch?v\x3dabC1dEf2gH3\x26pp\x3dsA\x22\x7d\x7d\x7d")
    assert jsstring.decode_json(body) == {"contents": {"videoWithContextRenderer": {
        "videoId": "abC1dEf2gH3", "headline": {"runs": [{"text": "Café 😀 — <b>"}]},
        "url": "/watch?v=abC1dEf2gH3&pp=sA"}}}


def test_every_escape_javascript_knows():
    body = ("\\x41\\u0042\\u{1F600}\\ud83d\\ude00\\\\\\'\\\"\\/\\n\\r\\t\\b\\f\\v\\0"
            "|\\\n|\\\r\n|\\\u2028|\\q\\%")
    assert jsstring.decode(body) == "AB😀😀\\'\"/\n\r\t\b\f\v\0||||q%"


def test_json_escapes_inside_the_string_are_read_by_json():
    # the JS literal decodes to JSON text that has escapes of its own
    assert jsstring.decode_json(r"\x7b\x22t\x22:\x22a\\\x22b\\u00e9\\n\x22\x7d") == {"t": 'a"bé\n'}


@pytest.mark.parametrize("body", [
    r"\x4G", r"\x4", r"\u12", r"\u{}", r"\u{110000}", r"\1", r"\08", r"\8", "raw\nbreak", "raw\rbreak",
])
def test_bad_escapes_and_raw_line_breaks_are_refused(body):
    with pytest.raises(ValueError):
        jsstring.decode(body)


@pytest.mark.parametrize("body", [r"\x7b\x22a\x22:", r"not json", r"\x7b" * 100_000 + r"\x7d" * 100_000,
                                  r"\x5b" * 100_000 + r"\x5d" * 100_000])
def test_a_string_that_is_not_json_is_refused_as_a_value_error(body):
    with pytest.raises(ValueError):
        jsstring.decode_json(body)


@pytest.mark.parametrize(("text", "end"), [
    ("'abc' rest", 4),
    ("'a\\'b' rest", 5),           # an escaped quote does not end it
    ("'a\\\\' rest", 4),           # an escaped backslash does
    ("\"it's\" rest", 5),
    ("'abc", None),                # unterminated
    ("'a\\'", None),
    ("{\"a\": 1}", None),          # no literal here
    ("", None),
])
def test_find_end(text, end):
    assert jsstring.find_end(text, 0) == end


# -- in a page ------------------------------------------------------------------------------------

def test_find_spans_reads_the_literal_and_not_the_json_entry():
    specs = [{"assign": "var ytInitialData ="}, {"assign": "var ytInitialData =", "encoding": "js_string"}]
    html = page(STATE)
    spans = embedded.find_spans(html, specs)
    assert [s.encoding for s in spans] == ["js_string"]
    assert html[spans[0].start - 1] == "'" and html[spans[0].end] == "'"
    assert embedded.decode(html, spans[0]) == STATE
    www = "<script>var ytInitialData = " + json.dumps(STATE) + ";</script>"
    assert [s.encoding for s in embedded.find_spans(www, specs)] == ["json"]


@pytest.mark.parametrize("quote", ["'", '"'])
def test_rewrite_keeps_the_page_identical_outside_the_literal(adapters, quote):
    html = page(STATE, quote)
    outcome = run(adapters, html)
    assert outcome.error is None and outcome.changed
    assert outcome.counts() == {"personalized": 2, "promoted": 1}
    new = outcome.body.decode()
    span = embedded.find_spans(html, [{"assign": "var ytInitialData =", "encoding": "js_string"}])[0]
    prefix, suffix = html[:span.start], html[span.end:]
    assert new.startswith(prefix) and new.endswith(suffix)
    assert prefix.endswith("var ytInitialData = " + quote) and suffix.startswith(quote + ";window[")
    body = new[len(prefix):len(new) - len(suffix)]
    assert body.isascii() and not any(c in body for c in "'\"<>&\n\u2028")
    doc = jsstring.decode_json(body)
    assert [i["id"] for i in doc["feed"]["list"]] == ["v1", "v2"]  # the ad is hidden
    assert doc["feed"]["list"][1]["title"].endswith("面条 😀 \u2028 night")  # marked, intact
    assert doc["meta"] == STATE["meta"]
    assert run(adapters, new).counts() == {"personalized": 2}  # the page reads again


def test_the_literal_issues_its_continuation_tokens(adapters):
    # the page's text holds `\x22continuationCommand\x22`: the tokens come from the decoded doc
    from feedlens.continuations import token_key

    assert run(adapters, page(STATE), rules=None).tokens == [token_key("4qmFsgI/abc=")]


def test_mark_only_leaves_the_page_alone_and_www_json_still_works(adapters):
    html = page(STATE)
    outcome = run(adapters, html, rules=None)
    assert outcome.counts() == {"personalized": 2, "promoted": 1} and not outcome.changed
    www = "<script>var ytInitialData = " + json.dumps(STATE) + ";</script>"
    assert run(adapters, www, host="www.jsdemo.test").counts() == {"personalized": 2, "promoted": 1}


@pytest.mark.parametrize("broken", [
    "<script>var ytInitialData = '\\x7b\\x22feed\\x22:\\x7b",                         # unterminated
    "<script>var ytInitialData = '\\x7b\\x22feed\\x4G\\x7d';</script>",               # bad escape
    "<script>var ytInitialData = '\\x7b\\x22feed\\x22:\n\\x7d';</script>",            # raw line break
    "<script>var ytInitialData = '\\x7b\\x22feed\\x22:\\x7b\\x7d';</script>",         # not closed JSON
    "<script>var ytInitialData = 'hello';</script>",                                   # not JSON
    "<script>var ytInitialData = '" + "\\x5b" * 50_000 + "';</script>",               # too deep
    "<script>var ytInitialData = ytInitialDataFromElsewhere;</script>",               # no literal
])
def test_malformed_literals_are_no_embedded_data_and_pass_unchanged(adapters, broken):
    outcome = run(adapters, broken)
    assert outcome.error is None and not outcome.changed and outcome.body is None
    assert outcome.items == [] and outcome.reason == "no embedded feed data found in the page"


def test_js_string_needs_an_assign_marker(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(ADAPTER.replace('- {assign: "var ytInitialData =", encoding: js_string}',
                                    '- {script_id: initial, encoding: js_string}'), encoding="utf-8")
    errors = load_adapters([path]).errors
    assert any("js_string" in str(e) and "assign" in str(e) for e in errors), errors
