"""How a feed response becomes rows of the item log, and rows become answers again.

item_row is the single place where an item becomes a row, so the storage policy (no item
text) is enforced here: the title column stays NULL, and an evidence value or reason that
carries the item's title or text (an adapter's reason that is the item's own words, a cut
string) is not stored; an item whose id is its own text (a trend, a hot search, a hashtag) is
stored under a hash of that id, which marks() finds again from the id the extension asks about.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from .model import Item

_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS  # to str, as json
ITEM_COLUMNS = ("response_id", "time", "platform", "endpoint", "surface", "position", "item_id",
                "kind", "author_id", "author", "title", "provenance", "reason", "evidence",
                "confidence", "rule", "labels", "decision", "decision_rule", "format", "relation",
                "duration_s", "format_why", "relation_why", "pack")
_JSON_COLUMNS = ("evidence", "labels")
_MARK_FIELDS = ("item_id", "time", "endpoint", "surface", "kind", "author_id", "author",
                "provenance", "reason", "evidence", "confidence", "rule", "labels", "decision",
                "decision_rule", "format", "relation", "duration_s", "format_why", "relation_why",
                "pack")


TEXT_HIDDEN = "(the item's text: not stored)"
MIN_TEXT = 4  # shorter titles ("热") are too common to tell from an adapter's own words
HASHED_ID = "sha256:"


@dataclass
class ResponseRecord:
    """One feed response as the proxy saw it."""

    time: float
    platform: str
    endpoint: str
    surface: str
    url: str
    status: int
    changed: bool
    error: str | None
    items: list[Item] = field(default_factory=list)
    device: str | None = None  # user:NAME or addr:IP (proxy/minors/devices.py)


RESPONSE_COLUMNS = ("id", "time", "platform", "endpoint", "surface", "url", "status", "changed",
                    "error", "item_count", "device")
INSERT_RESPONSE = (f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))})")
INSERT_ITEM = f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
# Rows are built and inserted a slice at a time, and between slices the writer thread sleeps
# a moment with the GIL free. Only then can the event loop count on getting the GIL: a thread
# that drops it only around each row's SQLite call takes it straight back before the waiting
# loop thread wakes, and the loop's wait (5 ms, sys.getswitchinterval) restarts at every drop.
SLICE = 128
YIELD = 0.0001  # seconds; ~5% of a slice's time


def insert_rows(conn: sqlite3.Connection, batch: list[ResponseRecord]) -> list[tuple[ResponseRecord, int]]:
    """Insert the responses and items of `batch` in the caller's transaction, which holds the
    write lock; returns (record, response id) pairs. Ids are max + 1, as SQLite gives them."""
    next_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM responses").fetchone()[0]
    written: list[tuple[ResponseRecord, int]] = []
    responses: list[tuple] = []
    rows: list[tuple] = []
    for record in batch:
        written.append((record, next_id))
        responses.append((next_id, record.time, record.platform, record.endpoint, record.surface,
                          record.url, record.status, int(record.changed), record.error,
                          len(record.items), record.device))
        rows += [item_row(record, item, next_id) for item in record.items]
        next_id += 1
        if len(rows) >= SLICE:
            _insert(conn, responses, rows)
            responses, rows = [], []
            time.sleep(YIELD)  # the event loop's turn for the GIL
    if responses:
        _insert(conn, responses, rows)
    return written


def _insert(conn: sqlite3.Connection, responses: list[tuple], rows: list[tuple]) -> None:
    conn.executemany(INSERT_RESPONSE, responses)  # one prepared statement each, reused
    conn.executemany(INSERT_ITEM, rows)


def item_row(record: ResponseRecord, item: Item, response_id: int) -> tuple:
    """The single place where an item becomes a row (storage policy is enforced here).

    Item text is never stored in items: the title column stays NULL. Research mode
    (proxy/research) is the only place text may go, and only fields consented one by one.
    format_why and relation_why are the adapter's own words (a rule's `why` or its condition,
    item_format.py), the same for every item the rule decides: no item text; `pack` names the
    rule pack whose adapter read the item ("feedlens-core 2026.12.06", feedlens.layers).
    """
    texts = _texts_of(item)
    reason, item_id = item.reason, item.id
    if item_id is not None and type(item_id) is not str:
        item_id = str(item_id)
    if texts:  # most items have a title: only then can a value carry it
        if reason and _has_text(reason, texts):
            reason = None
        item_id = stored_id(item_id, texts)
    author_id = item.author_id
    labels = item.labels
    return (response_id, record.time, item.platform, item.endpoint, item.surface, item.position,
            item_id, item.kind, author_id if author_id is None or type(author_id) is str else str(author_id),
            item.author, None, str(item.provenance), reason, _evidence_json(item.evidence, texts),
            item.confidence, item.rule, _json(list(labels)) if labels else "[]", item.decision,
            item.decision_rule, item.format, item.relation, item.duration_s, item.format_why,
            item.relation_why, item.pack)


def _texts_of(item: Item) -> list[str]:
    texts = []
    for text in (item.title, item.text):
        if text and len(text) >= MIN_TEXT:
            text = text.strip()
            if len(text) >= MIN_TEXT:
                texts.append(text)
    return texts


def _has_text(value: str, texts: list[str]) -> bool:
    """`value` holds one of `texts`, or is a cut piece of one (evidence strings end in …)."""
    if len(value) < MIN_TEXT:  # shorter than any text, and than a piece worth matching
        return False
    for text in texts:
        if text in value:
            return True
    piece = value.rstrip("…").strip()
    if len(piece) >= 2 * MIN_TEXT:
        for text in texts:
            if piece in text:
                return True
    return False


def _evidence_json(evidence: list, texts: list[str]) -> str:
    """The evidence column: JSON of each entry's to_dict(), a value holding the item's text hidden."""
    if not evidence:
        return "[]"
    entries = []
    for entry in evidence:
        value = entry.value
        if texts and isinstance(value, str) and _has_text(value, texts):
            value = TEXT_HIDDEN
        entries.append({"source": entry.source, "path": entry.path, "value": value})
    return _json(entries)


def hashed_id(item_id: str) -> str:
    return HASHED_ID + hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:32]


def stored_id(item_id: str | None, texts: list[str]) -> str | None:
    """The id as stored: a hash of it when the id holds the item's own text."""
    return hashed_id(item_id) if item_id and _has_text(item_id, texts) else item_id


def _text(value) -> str | None:
    return None if value is None else str(value)


def _json(value) -> str:
    """json.dumps(value, ensure_ascii=False, default=str) in meaning, written by orjson (what it
    cannot write, a big integer or a non-string key, by json)."""
    try:
        return orjson.dumps(value, default=str, option=_PASSTHROUGH).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, default=str)


def _filters(**values) -> tuple[list[str], list]:
    where, params = [], []
    for column in ("platform", "provenance", "surface"):
        if values[column] is not None:
            where.append(f"{column} = ?")
            params.append(values[column])
    if values["since"] is not None:
        where.append("time >= ?")
        params.append(values["since"])
    if values["until"] is not None:
        where.append("time < ?")
        params.append(values["until"])
    return where, params


def _row_dict(row: sqlite3.Row) -> dict:
    data = dict(row)
    for column in _JSON_COLUMNS:
        if column in data and data[column] is not None:
            data[column] = json.loads(data[column])
    return data


def _composition(groups: list[dict]) -> dict:
    out: dict[str, Any] = {"items": 0, "by_platform": {}, "by_surface": {}, "by_provenance": {},
                           "by_decision": {}, "by_format": {}, "by_platform_provenance": {},
                           "by_provenance_format": {}}
    for row in groups:
        n = row["n"]
        out["items"] += n
        for key, column in (("by_platform", "platform"), ("by_surface", "surface"),
                            ("by_provenance", "provenance"), ("by_decision", "decision"),
                            ("by_format", "format")):
            out[key][row[column]] = out[key].get(row[column], 0) + n
        _add(out["by_platform_provenance"], row["platform"], row["provenance"], n)
        _add(out["by_provenance_format"], row["provenance"], row["format"], n)
    return out


def _add(table: dict, outer, inner, n: int) -> None:
    per = table.setdefault(outer, {})
    per[inner] = per.get(inner, 0) + n
