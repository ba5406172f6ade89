"""Shared pieces of the study server tests: a study definition, records as the participant's
export writes them, and signed requests."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timedelta, timezone

from feedlens.research import signing
from feedlens.research.dictionary import NAMES, SCHEMA_VERSION

TOKEN = "admin-token-for-the-tests-0123456789"
NOW = time.time()


def study_spec(study_id: str = "s1", fields=("title",), **extra) -> dict:
    start = datetime.now(timezone.utc) - timedelta(days=3)
    spec = {"id": study_id, "title": {"en": "Feeds study", "zh-CN": "信息流研究"},
            "consent": {"version": "1", "text": {"en": "We record what your feeds show.",
                                                 "zh-CN": "我们记录你的信息流内容。"}},
            "fields": list(fields), "retention_days": 30, "upload_interval": 1,
            "start": start.isoformat(), "end": (start + timedelta(days=30)).isoformat()}
    spec.update(extra)
    return spec


def record(enrolment: dict, record_id: int, at: float | None = None, **values) -> dict:
    row = dict.fromkeys(NAMES)
    row.update(schema_version=SCHEMA_VERSION, study_id=enrolment["study"]["id"],
               consent_version=enrolment["study"]["consent"]["version"],
               participant=enrolment["participant"], record_id=record_id,
               time=NOW if at is None else at, response_id=1, platform="demo", surface="home",
               position=record_id % 10, provenance="personalized", pack="feedlens-core 1")
    row.update(values)
    return row


def signed(enrolment: dict, path: str, body: bytes, now: float | None = None) -> dict:
    return signing.headers(bytes.fromhex(enrolment["key"]), enrolment["study"]["id"],
                           enrolment["participant"], "POST", path, body,
                           time.time() if now is None else now)


def upload_body(records: list[dict]) -> bytes:
    return gzip.compress(json.dumps({"records": records}).encode())


ADMIN = {"Authorization": f"Bearer {TOKEN}"}
