"""The server's check of every uploaded record: exactly the columns of the export's data
dictionary (feedlens.research.dictionary), each of its type, of this study and participant,
under the consent version the participant agreed to, and no raw field the participant did not
consent to. One bad record refuses the whole upload: the participant's side sends exactly what
its preview shows, so a mismatch is a bug or a forgery, never something to repair."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone

from ..research.audit import CONDITIONS
from ..research.dictionary import COLUMNS, NAMES

# The server's column order (records table): the dictionary's, with the partition key.
COLUMN_NAMES = ("study_id", "participant", "record_id", "day", *[
    name for name in NAMES if name not in ("study_id", "participant", "record_id")])
_TYPES = {column.name: column.type for column in COLUMNS}
_CONSENT = {column.name: column.consent for column in COLUMNS if column.consent}
AUDIT_CONDITIONS = (None, *CONDITIONS)
_REQUIRED = ("schema_version", "consent_version", "record_id", "time")


class Refused(ValueError):
    """An upload the study does not take; the message says which record and why."""


@dataclass(frozen=True)
class Enrolled:
    study_id: str
    participant: str
    consent_version: str
    fields: frozenset[str]
    starts: float
    ends: float


def _typed(name: str, value) -> bool:
    if value is None:
        return name not in _REQUIRED
    kind = _TYPES[name]
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, str) and len(value) <= 100_000


def day_of(seconds: float) -> date:
    return datetime.fromtimestamp(seconds, timezone.utc).date()


def check(records, who: Enrolled) -> list[tuple]:
    """Rows in COLUMN_NAMES order; raises Refused at the first record the study does not take."""
    if not isinstance(records, list):
        raise Refused("records: a list is expected")
    rows = []
    for index, record in enumerate(records):
        rows.append(_row(index, record, who))
    return rows


def _row(index: int, record, who: Enrolled) -> tuple:
    where = f"record {index}"
    if not isinstance(record, dict):
        raise Refused(f"{where}: an object is expected")
    extra = sorted(set(record) - set(NAMES))
    if extra:
        raise Refused(f"{where}: columns the study does not take: {', '.join(extra)}")
    # a consent-gated column may be left out (it is empty then): a client from before the
    # column existed (schema 4 had no audit_condition) sends nothing for it
    missing = sorted(set(NAMES) - set(record) - set(_CONSENT))
    if missing:
        raise Refused(f"{where}: missing columns: {', '.join(missing)}")
    record = {**dict.fromkeys(_CONSENT), **record}
    for name in NAMES:
        if not _typed(name, record[name]):
            raise Refused(f"{where}: {name} is not a valid {_TYPES[name]}")
    for name, field in _CONSENT.items():
        if record[name] is not None and field not in who.fields:
            raise Refused(f"{where}: field {field!r} was not consented to")
    if record["audit_condition"] not in AUDIT_CONDITIONS:
        raise Refused(f"{where}: audit_condition must be on, off or empty")
    if record["study_id"] != who.study_id or record["participant"] != who.participant:
        raise Refused(f"{where}: another study's or participant's record")
    if record["consent_version"] != who.consent_version:
        raise Refused(f"{where}: consent version {record['consent_version']!r} is not the one agreed to")
    if not who.starts <= record["time"] < who.ends:
        raise Refused(f"{where}: recorded outside the study's period")
    values = dict(record, day=day_of(record["time"]))
    return tuple(values[name] for name in COLUMN_NAMES)
