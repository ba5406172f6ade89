"""JSON embedded in HTML pages (ytInitialData, __INITIAL_STATE__, RENDER_DATA): find, replace."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

_DECODER = json.JSONDecoder()


@dataclass(slots=True)
class Span:
    """Where one embedded JSON document sits in the page text."""

    start: int
    end: int
    encoding: str  # json | urlencoded
    in_script: bool


def find_spans(html: str, specs: list[dict]) -> list[Span]:
    spans = []
    for spec in specs:
        span = _find_assign(html, spec["assign"]) if "assign" in spec else _find_script(
            html, spec["script_id"], spec.get("encoding", "json"))
        if span is not None:
            spans.append(span)
    return spans


def _find_assign(html: str, marker: str) -> Span | None:
    """`marker {json}`: the literal that follows the marker, to where JSON says it ends."""
    pattern = re.escape(marker.strip()).replace(r"\ ", r"\s*")
    found = re.search(pattern + r"\s*", html)
    if found is None:
        return None
    start = found.end()
    try:
        _, end = _DECODER.raw_decode(html, start)
    except ValueError:
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
    text = html[span.start:span.end]
    if span.encoding == "urlencoded":
        text = unquote(text)
    return json.loads(text)


def encode(doc, span: Span, ascii_only: bool = False) -> str:
    text = json.dumps(doc, ensure_ascii=ascii_only, separators=(",", ":"))
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
