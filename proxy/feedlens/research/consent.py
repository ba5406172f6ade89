"""The consent record: which study, which version of its consent text, which raw fields the
participant allowed (one by one), how long records are kept. Stored in research_consents;
every research record references the consent it was made under.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

# Fields a participant may consent to, one by one: the raw ones, and the switch audit's
# condition (which says when the participant had personalisation off). Everything else recorded
# is categorical (platform, provenance, …) or pseudonymous (item and author ids).
FIELDS = ("title", "text", "author_name", "url", "reason_text", "audit_condition")
STUDY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # also the key file's name
CONSENT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,31}$")
MAX_RETENTION_DAYS = 3650


class ConsentError(ValueError):
    pass


@dataclass(frozen=True)
class Consent:
    id: int
    study_id: str
    consent_version: str
    fields: tuple[str, ...]
    retention_days: int
    participant: str  # random; the same for every consent of one study on this install
    created: float
    withdrawn: float | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "study_id": self.study_id, "consent_version": self.consent_version,
                "fields": list(self.fields), "retention_days": self.retention_days,
                "participant": self.participant, "created": self.created,
                "withdrawn": self.withdrawn}


def checked(study_id, consent_version, fields, retention_days) -> tuple[str, str, tuple[str, ...], int]:
    """The consent's values, validated; raises ConsentError naming what is wrong."""
    if not isinstance(study_id, str) or not STUDY_ID.match(study_id) or ".." in study_id:
        raise ConsentError("study_id: 1 to 64 letters, digits, '.', '-' or '_', "
                           "starting with a letter or digit")
    if not isinstance(consent_version, str) or not CONSENT_VERSION.match(consent_version):
        raise ConsentError("consent_version: 1 to 32 letters, digits, '.', '+', '-' or '_'")
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
        raise ConsentError("fields: a list of field names")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ConsentError(f"fields: unknown {', '.join(unknown)}; consentable: {', '.join(FIELDS)}")
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) \
            or not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise ConsentError(f"retention_days: a whole number from 1 to {MAX_RETENTION_DAYS}")
    ordered = tuple(f for f in FIELDS if f in fields)
    return study_id, consent_version, ordered, retention_days


# ---- storage (called on the store's writer or reader thread) ---------------------------------

def insert(conn: sqlite3.Connection, study_id: str, consent_version: str, fields: tuple[str, ...],
           retention_days: int, now: float | None = None, participant: str | None = None) -> Consent:
    """participant: the id a study server gave at enrolment (research/enrolment.py), else
    this install's random one for the study."""
    now = time.time() if now is None else now
    participant = participant or _participant(conn, study_id)
    cursor = conn.execute(
        "INSERT INTO research_consents (study_id, consent_version, fields, retention_days,"
        " participant, created) VALUES (?, ?, ?, ?, ?, ?)",
        (study_id, consent_version, json.dumps(list(fields)), retention_days, participant, now))
    return Consent(cursor.lastrowid, study_id, consent_version, fields, retention_days,
                   participant, now)


def _participant(conn: sqlite3.Connection, study_id: str) -> str:
    row = conn.execute("SELECT participant FROM research_consents WHERE study_id = ?"
                       " ORDER BY id DESC LIMIT 1", (study_id,)).fetchone()
    return row[0] if row else secrets.token_hex(8)


def withdraw(conn: sqlite3.Connection, consent_id: int, now: float) -> None:
    conn.execute("UPDATE research_consents SET withdrawn = ? WHERE id = ? AND withdrawn IS NULL",
                 (now, consent_id))


def load(conn: sqlite3.Connection, consent_id: int) -> Consent | None:
    row = conn.execute("SELECT id, study_id, consent_version, fields, retention_days, participant,"
                       " created, withdrawn FROM research_consents WHERE id = ?",
                       (consent_id,)).fetchone()
    if row is None:
        return None
    return Consent(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4], row[5], row[6], row[7])


def retentions(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    return [tuple(row) for row in conn.execute("SELECT id, retention_days FROM research_consents")]


def load_state(conn: sqlite3.Connection) -> tuple[Consent | None, bool]:
    """(the consent in force or None when research mode is off, paused)."""
    row = conn.execute("SELECT consent_id, paused FROM research_state WHERE id = 1").fetchone()
    if row is None or row[0] is None:
        return None, False
    return load(conn, row[0]), bool(row[1])


def save_state(conn: sqlite3.Connection, consent_id: int | None, paused: bool, now: float) -> None:
    conn.execute("INSERT INTO research_state (id, consent_id, paused, updated) VALUES (1, ?, ?, ?)"
                 " ON CONFLICT(id) DO UPDATE SET consent_id = excluded.consent_id,"
                 " paused = excluded.paused, updated = excluded.updated",
                 (consent_id, int(paused), now))
