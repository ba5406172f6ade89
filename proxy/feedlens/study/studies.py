"""Studies, invitation codes and enrolment, in PostgreSQL (asyncpg connections).

A study is created once, with its first consent text (one text per language); a new consent
version may be added later, and new participants then agree to that one. Invitation codes are
single-use: enrolment marks the code used in the same statement that checks it, so two
participants racing with one code cannot both get in."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timezone

from ..research.consent import CONSENT_VERSION, FIELDS, MAX_RETENTION_DAYS, STUDY_ID

LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TEXT = 100_000
MAX_INVITES = 10_000


class StudyError(ValueError):
    """A request the study cannot take; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def code_hash(code: str) -> bytes:
    return hashlib.sha256(code.strip().upper().encode()).digest()


def _time(value, name: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise StudyError(f"{name}: an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _texts(value, name: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or not value:
        raise StudyError(f"{name}: a text per language, e.g. {{en: ..., zh-CN: ...}}")
    for language, text in value.items():
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise StudyError(f"{name}: {language!r} is not a language tag")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise StudyError(f"{name}.{language}: a text of 1 to {MAX_TEXT} characters")
    return dict(value)


def checked_study(spec) -> dict:
    """The study's definition (as `feedlens study create` reads it from YAML), validated."""
    if not isinstance(spec, dict):
        raise StudyError("a study is a mapping")
    study_id = spec.get("id")
    if not isinstance(study_id, str) or not STUDY_ID.match(study_id) or ".." in study_id:
        raise StudyError("id: 1 to 64 letters, digits, '.', '-' or '_'")
    consent = spec.get("consent")
    if not isinstance(consent, dict):
        raise StudyError("consent: {version: ..., text: {en: ..., zh-CN: ...}}")
    version = str(consent.get("version", ""))
    if not CONSENT_VERSION.match(version):
        raise StudyError("consent.version: 1 to 32 letters, digits, '.', '+', '-' or '_'")
    requested = spec.get("fields", [])
    if not isinstance(requested, list) or not set(requested) <= set(FIELDS):
        raise StudyError(f"fields: a list of {', '.join(FIELDS)}")
    retention = spec.get("retention_days")
    if isinstance(retention, bool) or not isinstance(retention, int) \
            or not 1 <= retention <= MAX_RETENTION_DAYS:
        raise StudyError(f"retention_days: 1 to {MAX_RETENTION_DAYS}")
    interval = spec.get("upload_interval", 3600)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise StudyError("upload_interval: whole seconds, at least 1")
    starts, ends = _time(spec.get("start"), "start"), _time(spec.get("end"), "end")
    if ends <= starts:
        raise StudyError("end must be after start")
    return {"id": study_id, "title": _texts(spec.get("title"), "title"),
            "version": version, "consent": _texts(consent.get("text"), "consent.text"),
            "fields": [f for f in FIELDS if f in requested], "retention_days": retention,
            "upload_interval": interval, "starts": starts, "ends": ends}


async def create(conn, spec) -> dict:
    study = checked_study(spec)
    async with conn.transaction():
        exists = await conn.fetchval("SELECT 1 FROM studies WHERE id = $1", study["id"])
        if exists:
            raise StudyError(f"study {study['id']!r} exists already", 409)
        await conn.execute(
            "INSERT INTO studies (id, title, fields, retention_days, starts, ends, upload_interval,"
            " current_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            study["id"], json.dumps(study["title"]), study["fields"], study["retention_days"],
            study["starts"], study["ends"], study["upload_interval"], study["version"])
        await conn.executemany(
            "INSERT INTO consent_texts (study_id, version, language, text) VALUES ($1, $2, $3, $4)",
            [(study["id"], study["version"], lang, text) for lang, text in study["consent"].items()])
    return await describe(conn, study["id"])


async def describe(conn, study_id: str) -> dict:
    """What a participant is shown before agreeing (and the researcher after creating)."""
    row = await conn.fetchrow("SELECT * FROM studies WHERE id = $1", study_id)
    if row is None:
        raise StudyError(f"no study {study_id!r}", 404)
    texts = await conn.fetch("SELECT language, text FROM consent_texts"
                             " WHERE study_id = $1 AND version = $2", study_id, row["current_version"])
    return {"id": row["id"], "title": json.loads(row["title"]), "fields": list(row["fields"]),
            "retention_days": row["retention_days"], "upload_interval": row["upload_interval"],
            "start": row["starts"].isoformat(), "end": row["ends"].isoformat(),
            "consent": {"version": row["current_version"],
                        "text": {r["language"]: r["text"] for r in texts}}}


async def add_consent(conn, study_id: str, version, texts) -> dict:
    """A new consent version (one text per language) that new participants agree to from now
    on; those enrolled under an earlier one keep theirs (their records carry its version)."""
    version = str(version or "")
    if not CONSENT_VERSION.match(version):
        raise StudyError("consent.version: 1 to 32 letters, digits, '.', '+', '-' or '_'")
    checked = _texts(texts, "consent.text")
    async with conn.transaction():
        await describe(conn, study_id)  # 404 for an unknown study
        if await conn.fetchval("SELECT 1 FROM consent_texts WHERE study_id = $1 AND version = $2",
                               study_id, version):
            raise StudyError(f"consent version {version!r} exists already", 409)
        await conn.executemany(
            "INSERT INTO consent_texts (study_id, version, language, text) VALUES ($1, $2, $3, $4)",
            [(study_id, version, lang, text) for lang, text in checked.items()])
        await conn.execute("UPDATE studies SET current_version = $2 WHERE id = $1", study_id, version)
    return await describe(conn, study_id)


async def listing(conn) -> list[dict]:
    """Every study, newest first, with its participants by state (the admin page's list)."""
    rows = await conn.fetch(
        "SELECT s.id, s.title, s.starts, s.ends, s.current_version,"
        " count(p.id) FILTER (WHERE p.state = 'active') AS active,"
        " count(p.id) FILTER (WHERE p.state = 'paused') AS paused,"
        " count(p.id) FILTER (WHERE p.state = 'withdrawn') AS withdrawn"
        " FROM studies s LEFT JOIN participants p ON p.study_id = s.id"
        " GROUP BY s.id ORDER BY s.created DESC, s.id")
    return [{"id": r["id"], "title": json.loads(r["title"]), "start": r["starts"].isoformat(),
             "end": r["ends"].isoformat(), "version": r["current_version"], "active": r["active"],
             "paused": r["paused"], "withdrawn": r["withdrawn"]} for r in rows]


async def invite(conn, study_id: str, count: int) -> list[str]:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INVITES:
        raise StudyError(f"count: 1 to {MAX_INVITES}")
    await describe(conn, study_id)  # 404 for an unknown study
    codes = [secrets.token_hex(8).upper() for _ in range(count)]
    await conn.executemany("INSERT INTO invitations (code_hash, study_id) VALUES ($1, $2)",
                           [(code_hash(code), study_id) for code in codes])
    return codes


async def invitation(conn, code: str) -> dict:
    """The study an unused code invites to (the code stays unused)."""
    study_id = await conn.fetchval("SELECT study_id FROM invitations WHERE code_hash = $1"
                                   " AND used IS NULL", code_hash(code))
    if study_id is None:
        raise StudyError("this invitation code is unknown or was used already", 404)
    return await describe(conn, study_id)


async def enrol(conn, code: str, consent_version: str, fields, language: str) -> dict:
    """Use the code: a new participant with a random id and key; returns both and the study."""
    if not isinstance(fields, list) or not isinstance(language, str) or not LANGUAGE.match(language):
        raise StudyError("fields: a list; language: a language tag")
    async with conn.transaction():
        study_id = await conn.fetchval(
            "UPDATE invitations SET used = now() WHERE code_hash = $1 AND used IS NULL"
            " RETURNING study_id", code_hash(code))
        if study_id is None:
            raise StudyError("this invitation code is unknown or was used already", 404)
        study = await describe(conn, study_id)
        if consent_version != study["consent"]["version"]:
            raise StudyError("the consent text changed: read the current one and agree again", 409)
        if not set(fields) <= set(study["fields"]):
            raise StudyError("fields: only the fields the study asks for")
        now = datetime.now(timezone.utc)
        if not datetime.fromisoformat(study["start"]) <= now < datetime.fromisoformat(study["end"]):
            raise StudyError("the study is not running now", 409)
        participant, key = secrets.token_hex(8), secrets.token_bytes(32)
        await conn.execute(
            "INSERT INTO participants (study_id, id, key, consent_version, fields, language)"
            " VALUES ($1, $2, $3, $4, $5, $6)", study_id, participant, key, consent_version,
            [f for f in FIELDS if f in fields], language)
        await conn.execute("UPDATE invitations SET participant = $2 WHERE code_hash = $1",
                           code_hash(code), participant)
    return {"participant": participant, "key": key.hex(), "study": study,
            "fields": [f for f in FIELDS if f in fields]}
