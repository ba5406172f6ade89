"""JSON from outside (the service's request bodies): nesting is bounded before the parser
recurses, so a 100,000-deep body is a clear refusal, never a RecursionError."""

from __future__ import annotations

import json
import re

MAX_DEPTH = 64  # our largest request body (a report's target) nests 4 levels

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')  # strings may hold brackets; linear, no backtracking
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


class JsonError(ValueError):
    """Not JSON, or nested deeper than allowed; the message says which."""


def depth(raw: bytes) -> int:
    """How deep the brackets of `raw` nest (outside strings), stopping past MAX_DEPTH."""
    level = deepest = 0
    for char in _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS):
        level = level + 1 if char in _OPEN else level - 1
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                break
    return deepest


def loads(raw: bytes | str) -> object:
    """`json.loads` for untrusted input: JsonError for invalid JSON or nesting over MAX_DEPTH."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if depth(raw) > MAX_DEPTH:
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw)
    except RecursionError:  # not reached within MAX_DEPTH; kept as the last guard
        raise JsonError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise JsonError(str(exc)) from None
