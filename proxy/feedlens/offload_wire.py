"""What crosses between feedlens and its engine worker: length-prefixed frames of bytes.

A job is the request (a small pickle, with the profile part of the EngineSpec) and the body as
sent, untouched; the reply is the outcome's few fields and each item as a flat row (marshal:
built-in types only, a fraction of the cost of unpickling dataclass trees on the proxy's side)
and the new body as sent. Nothing else is copied: no decoded body, no rewritten body twice.
"""

from __future__ import annotations

import dataclasses
import marshal
import pickle
import struct

from .model import Evidence, Item, Outcome, Provenance

HEADER = struct.Struct("<III")  # lengths of: part a, part b, body

ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(Item))
_PROVENANCE = ITEM_FIELDS.index("provenance")
_EVIDENCE = ITEM_FIELDS.index("evidence")
_PROVENANCES = Provenance._value2member_map_
OUTCOME_FIELDS = ("endpoint", "platform", "surface", "changed", "reason", "error", "unclaimed",
                  "tokens", "placeholders")


def frame(a: bytes, b: bytes, body: bytes) -> list[bytes]:
    """The pieces of one frame, for writelines / sendmsg (the body is not copied into a new
    buffer)."""
    return [HEADER.pack(len(a), len(b), len(body)), a, b, body]


def item_row(item: Item) -> tuple:
    row = [getattr(item, name) for name in ITEM_FIELDS]
    row[_PROVENANCE] = str(item.provenance)
    row[_EVIDENCE] = [(e.path, e.value, e.source) for e in item.evidence]
    return tuple(row)


def item_of(row) -> Item:
    item = Item(*row)
    item.provenance = _PROVENANCES.get(item.provenance, item.provenance)
    item.evidence = [Evidence(*e) for e in item.evidence]
    return item


def reply(outcome: Outcome) -> bytes:
    """The outcome without its body (it travels as the frame's body, encoded)."""
    fields = tuple(getattr(outcome, name) for name in OUTCOME_FIELDS)
    rows = [item_row(item) for item in outcome.items]
    try:
        return b"m" + marshal.dumps(("ok", fields, rows))
    except ValueError:  # an evidence value marshal cannot hold (never JSON): pickle it
        return b"p" + pickle.dumps(("ok", fields, rows), protocol=pickle.HIGHEST_PROTOCOL)


def failure(kind: str, *args) -> bytes:
    return b"m" + marshal.dumps((kind, *args))


def read_reply(data: bytes) -> tuple:
    """("ok", Outcome) or the failure's tuple: ("over_cap", cap), ("error", type name, text)."""
    message = marshal.loads(memoryview(data)[1:]) if data[:1] == b"m" else pickle.loads(data[1:])
    if message[0] != "ok":
        return message
    _, fields, rows = message
    outcome = Outcome(**dict(zip(OUTCOME_FIELDS, fields)))
    outcome.items = [item_of(row) for row in rows]
    return "ok", outcome
