"""JSON embedded in HTML pages (ytInitialData, __INITIAL_STATE__, RENDER_DATA): find, replace.

Encodings: `json`, a JSON literal (after an `assign` marker, or a script element's text);
`urlencoded`, a percent-encoded script text; `js_string`, a JavaScript string literal holding the
JSON text after an `assign` marker (YouTube's mobile web: `var ytInitialData = '\\x7b…';`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from . import fastjson, jsstring

_DECODER = json.JSONDecoder()


@dataclass(slots=True)
class Span:
    """Where one embedded JSON document sits in the page text."""

    start: int
    end: int
    encoding: str  # json | urlencoded | js_string (then start..end is the literal's body)
    in_script: bool


def find_spans(html: str, specs: list[dict]) -> list[Span]:
    """The spans the specs find, in spec order; one that overlaps an earlier one is dropped."""
    spans: list[Span] = []
    for spec in specs:
        encoding = spec.get("encoding", "json")
        span = _find_assign(html, spec["assign"], encoding) if "assign" in spec else _find_script(
            html, spec["script_id"], encoding)
        if span is not None and not any(s.start < span.end and span.start < s.end for s in spans):
            spans.append(span)
    return spans


def _find_assign(html: str, marker: str, encoding: str = "json") -> Span | None:
    """`marker {json}`: the literal that follows the marker, to where JSON says it ends;
    `marker '…'` (js_string): the body of the string literal that follows it."""
    pattern = re.escape(marker.strip()).replace(r"\ ", r"\s*")
    found = re.search(pattern + r"\s*", html)
    if found is None:
        return None
    start = found.end()
    if encoding == "js_string":
        end = jsstring.find_end(html, start)
        return Span(start + 1, end, encoding, True) if end is not None else None
    try:
        _, end = _DECODER.raw_decode(html, start)
    except (ValueError, RecursionError):
        return None
    return Span(start, end, "json", True)


def _find_script(html: str, script_id: str, encoding: str) -> Span | None:
    found = re.search(r"<script\b[^>]*\bid=[\"']?" + re.escape(script_id) + r"[\"']?[^>]*>", html)
    if found is None:
        return None
    close = html.find("</script>", found.end())
    if close < 0:
        return None
    return Span(found.end(), close, encoding, True)


def decode(html: str, span: Span):
    """The document in the span; ValueError when it is not one (a malformed literal)."""
    return read(html, span)[0]


def read(html: str, span: Span) -> tuple[object, bool]:
    """(the document in the span, whether orjson read it: then `encode(..., fast=True)`);
    ValueError when it is not one."""
    text = html[span.start:span.end]
    if span.encoding == "js_string":
        return jsstring.decode_json(text), False
    if span.encoding == "urlencoded":
        text = unquote(text)
    try:
        return fastjson.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def encode(doc, span: Span, ascii_only: bool = False, fast: bool = False) -> str:
    """The span's new text; `fast`: `read` had orjson read the document (fastjson.py)."""
    if span.encoding == "js_string":  # the quotes stay; the body escapes both kinds
        return jsstring.encode_json(doc)
    written = fastjson.dumps(doc) if fast and not ascii_only else None
    text = (written.decode() if written is not None
            else json.dumps(doc, ensure_ascii=ascii_only, separators=(",", ":")))
    if span.encoding == "urlencoded":
        return quote(text, safe="")
    # Keep the page parseable: no "</script>" inside, no JS line terminators in a literal.
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def replace(html: str, replacements: list[tuple[Span, str]]) -> str:
    """Put new texts in place of spans (spans must not overlap)."""
    out, last = [], 0
    for span, text in sorted(replacements, key=lambda r: r[0].start):
        out.append(html[last:span.start])
        out.append(text)
        last = span.end
    out.append(html[last:])
    return "".join(out)
