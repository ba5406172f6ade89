"""JSON in and out of a feed body at orjson's speed, with the json module's meaning.

orjson parses and writes several times faster than the standard json module (issue 16), and
for nearly every body it gives the same document: same key order (the last of duplicate keys
wins, in the first one's place), same int/float split, the same float for every number
(both round correctly, both write the shortest text that reads back as the same float; orjson
writes 1e16 where json writes 1e+16). Where the two differ, the json module does the work, so
the body means exactly what it did before:

- integers past 64 bits: orjson reads them as floats and loses digits. A scan of the body in C
  (one translate, two finds) sends any body with a number of 20+ digits, or a negative one of
  19+, to json; the scan may also flag digits inside a string (the body is then only slower);
- NaN, Infinity, a number past a float's range, a lone surrogate, nesting over orjson's limit:
  orjson refuses them; json reads them as it always did (the caller's `constants` decides NaN);
- a document json read is written by json too: it may hold what orjson writes differently
  (NaN and infinities become `null` in orjson) or cannot write (big integers);
- non-UTF-8 output (ASCII-only `\\u` escapes for other charsets) stays with json (the callers).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Byte classes for the big-integer scan: digits -> 0, what may precede a number -> S.
_CLASSES = bytearray(b"x" * 256)
for _byte in b"0123456789":
    _CLASSES[_byte] = ord("0")
for _byte in b":[, \t\r\n":
    _CLASSES[_byte] = ord("S")
_CLASSES[ord("-")] = ord("-")
_CLASSES = bytes(_CLASSES)
_BIG = b"0" * 20  # >= 10**19: may pass 2**64 - 1
_BIG_NEGATIVE = b"-" + b"0" * 19  # <= -10**18: may pass -2**63


_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _not_json(literal: str):
    raise ValueError(f"{literal} is not a JSON number")  # RFC 8259 has no NaN or Infinity


def may_hold_big_int(raw: bytes) -> bool:
    """Whether `raw` may hold an integer orjson would read as a float (no false negatives)."""
    classes = raw.translate(_CLASSES)
    return (b"S" + _BIG in classes or b"S" + _BIG_NEGATIVE in classes
            or classes.startswith(_BIG) or classes.startswith(_BIG_NEGATIVE))


def loads(data: bytes | str, *, constants: bool = True) -> tuple[Any, bool]:
    """(document, fast): the document `json.loads` gives for `data` (bytes: UTF-8), and whether
    orjson read it (then `dumps` may write it). `constants=False` refuses NaN and Infinity (ValueError), as
    json.loads with a raising parse_constant does. Errors are json's: ValueError (its message),
    RecursionError."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if not may_hold_big_int(raw):
        try:
            return orjson.loads(raw), True
        except orjson.JSONDecodeError:
            pass  # json decides: NaN, 1e400, a lone surrogate, deep nesting, or not JSON at all
    # bytes are UTF-8 here: json's own guess (UTF-16 after a NUL byte) would change its errors
    text = data if isinstance(data, str) else data.decode("utf-8", "surrogatepass")
    if constants:
        return json.loads(text), False
    return json.loads(text, parse_constant=_not_json), False


def dumps(doc) -> bytes | None:
    """UTF-8 JSON of a document `loads` read fast (and strings, ints, copies added to it), as
    `json.dumps(doc, ensure_ascii=False, separators=(",", ":"))` means it; None when orjson
    cannot write it (a big integer, a non-string key, nesting over its limit): use json."""
    try:  # no default=: what json cannot write (a datetime, a dataclass) orjson refuses too
        return orjson.dumps(doc, option=_PASSTHROUGH)
    except orjson.JSONEncodeError:
        return None
