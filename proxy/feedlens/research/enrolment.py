"""A study server enrolment on the participant's side: `<data_dir>/research/<study>.study.json`
(mode 0600) holds the server's URL, the participant id and key it gave, what was agreed to, the
upload interval, how far uploads got (the newest record id the server acknowledged) and the
receipts of deletions. Uploads resume from that mark after a restart or a network failure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..files import write_atomic
from .consent import STUDY_ID


@dataclass(frozen=True)
class Enrolment:
    server: str
    study_id: str
    participant: str
    key: str  # hex; signs uploads (research/signing.py)
    consent_version: str
    fields: tuple[str, ...]
    language: str
    upload_interval: int
    uploaded_through: int = 0  # the newest local record id the server has
    withdrawn: str | None = None  # the receipt id of the withdrawal
    receipts: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def key_bytes(self) -> bytes:
        return bytes.fromhex(self.key)

    def identity(self) -> dict:
        """What the signing helpers take (the server's own enrolment answer has this shape)."""
        return {"key": self.key, "participant": self.participant,
                "study": {"id": self.study_id, "consent": {"version": self.consent_version}}}


def path(data_dir: Path, study_id: str) -> Path:
    if not STUDY_ID.match(study_id) or ".." in study_id:
        raise ValueError(f"not a study id: {study_id!r}")
    return Path(data_dir) / "research" / f"{study_id}.study.json"


def save(data_dir: Path, enrolment: Enrolment) -> None:
    target = path(data_dir, enrolment.study_id)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(target, json.dumps(asdict(enrolment), ensure_ascii=False, indent=1), mode=0o600)


def load(data_dir: Path, study_id: str) -> Enrolment | None:
    try:
        data = json.loads(path(data_dir, study_id).read_text(encoding="utf-8"))
        data["fields"] = tuple(data["fields"])
        data["receipts"] = tuple(data.get("receipts", ()))
        return Enrolment(**data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def current(data_dir: Path, consent) -> Enrolment | None:
    """The enrolment the consent in force was given under (None: a local-only study)."""
    if consent is None:
        return None
    enrolment = load(data_dir, consent.study_id)
    if enrolment is None or enrolment.participant != consent.participant or enrolment.withdrawn:
        return None
    return enrolment


def advanced(data_dir: Path, enrolment: Enrolment, through: int) -> Enrolment:
    """Record that the server has every record up to `through` (never moves back)."""
    latest = load(data_dir, enrolment.study_id) or enrolment
    moved = replace(latest, uploaded_through=max(latest.uploaded_through, through))
    save(data_dir, moved)
    return moved


def with_receipt(data_dir: Path, enrolment: Enrolment, receipt: dict, withdrawn: bool) -> Enrolment:
    latest = load(data_dir, enrolment.study_id) or enrolment
    changed = replace(latest, receipts=(*latest.receipts, receipt),
                      withdrawn=receipt.get("receipt") if withdrawn else latest.withdrawn)
    save(data_dir, changed)
    return changed


def rewind(data_dir: Path, newest: int) -> None:
    """After a local deletion: SQLite hands out again the ids above the newest record left, so
    no mark may stay above it (or the new records under those ids would never be sent)."""
    for file in (Path(data_dir) / "research").glob("*.study.json"):
        enrolment = load(data_dir, file.name.removesuffix(".study.json"))
        if enrolment is not None and enrolment.uploaded_through > newest:
            save(data_dir, replace(enrolment, uploaded_through=newest))
