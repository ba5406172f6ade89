"""JavaScript string literals that hold JSON: find one, decode it, write one back.

YouTube's mobile web embeds its page data as a hex-escaped string, not a JSON literal:
`var ytInitialData = '\\x7b\\x22responseContext\\x22…';` (then `JSON.parse(ytInitialData)`).
These helpers read the literal as a JavaScript engine would (ECMAScript string literal escapes)
and write JSON back as a literal that is safe inside a <script> element. Everything is linear
in the length of the text; a malformed literal raises ValueError (find_end returns None), never
anything else, so the caller can treat it as "no embedded data here".
"""

from __future__ import annotations

import json
import re

QUOTES = "'\""

# ECMAScript escapes. Groups: 1 \xHH, 2 \uHHHH, 3 \u{H…}, 4 a one-character escape or identity
# escape (\n, \', \q → q; \0 only when no digit follows: legacy octal \1…\7 and \8 \9 are
# refused, as in strict mode), 5 a line continuation (backslash + line terminator), 6 what JS
# rejects: a backslash starting none of these (\x4G, \u12), or a raw line break in the literal.
_TOKEN = re.compile(
    r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}"
    r"|(0(?![0-9])|[^xu0-9\r\n\u2028\u2029])|(\r\n|[\r\n\u2028\u2029]))"
    r"|(\\|[\r\n])")
_SINGLE = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}

# Writing: ASCII letters, digits and punctuation with no meaning to HTML or to a JS literal stay
# as they are; everything else is escaped the way YouTube's own pages do (`\x7b`, `\x22`, `\/`,
# `\x3d`, `\x3c`), non-ASCII as \xHH / \uHHHH (astral characters as a surrogate pair). The
# output is pure ASCII: no quote, backslash, `<`, `>`, `&`, line terminator or control character.
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  " _-.,:;!?#$%()*+@^|~")
_LATIN = {i: (chr(i) if chr(i) in _SAFE else "\\x%02x" % i) for i in range(256)}
_LATIN.update({ord("\\"): "\\\\", ord("/"): "\\/"})
_WIDE = re.compile("[^\x00-\xff]")


def find_end(text: str, start: int) -> int | None:
    """`text[start]` opens a literal: the index of its closing quote, or None (no literal here,
    or it is not closed). A quote is escaped when an odd run of backslashes precedes it."""
    if start >= len(text) or text[start] not in QUOTES:
        return None
    quote, at = text[start], start + 1
    while True:
        end = text.find(quote, at)
        if end < 0:
            return None
        run = end
        while run > at and text[run - 1] == "\\":
            run -= 1
        if (end - run) % 2 == 0:
            return end
        at = end + 1


def decode(body: str) -> str:
    """The string value of a literal's body (the text between its quotes)."""
    fast = _decode_common(body)
    if fast is not None:
        return fast
    try:
        value = _TOKEN.sub(_one, body)
    except _Refused as exc:
        raise ValueError(f"not a JavaScript string literal: {exc}") from None
    # \uD83D\uDE00 are two code units of one character, as in JS
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def decode_json(body: str):
    """The JSON document a literal's body holds (JSON.parse of the string)."""
    try:
        return json.loads(decode(body))
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def encode(value: str) -> str:
    """A literal's body (without the quotes) whose value is `value`, for either quote."""
    return _WIDE.sub(_wide, value.translate(_LATIN))


def encode_json(doc) -> str:
    return encode(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def _decode_common(body: str) -> str | None:
    """The common case at C speed: the escapes JSON strings share with JS plus \\xHH and \\'
    (all YouTube writes) are rewritten into a JSON string and read by the JSON decoder, which
    also rejects anything else (\\v, \\0, line continuations, raw controls or double quotes);
    those go the general way. `\\\\` pairs first, so `\\\\x41` stays a backslash and "x41"."""
    candidate = body.replace("\\\\", "\\u005c").replace("\\x", "\\u00").replace("\\'", "'")
    try:
        value = json.loads('"' + candidate + '"')
    except ValueError:
        return None
    return value if isinstance(value, str) else None


class _Refused(Exception):
    pass


def _one(match: re.Match) -> str:
    hexa = match.group(1) or match.group(2)
    if hexa:
        return chr(int(hexa, 16))
    if match.group(3):
        point = int(match.group(3), 16)
        if point > 0x10FFFF:
            raise _Refused(f"code point {match.group(3)} out of range")
        return chr(point)
    single = match.group(4)
    if single:
        return _SINGLE.get(single, single)
    if match.group(5):
        return ""
    raise _Refused("line break" if match.group(6) != "\\" else f"bad escape at {match.start()}")


def _wide(match: re.Match) -> str:
    point = ord(match.group())
    if point > 0xFFFF:
        point -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF))
    return "\\u%04x" % point
