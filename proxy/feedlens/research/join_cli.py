"""Command line of the study server's participant side: feedlens research join URL CODE,
feedlens research upload, and the server's part of `disable` (withdrawal) and `delete`.

`join` shows the study's consent text in the participant's language and the raw fields it asks
for, and turns research mode on only after the participant agrees; the server's random
participant id becomes the consent's, so the preview and the upload carry the same id."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from ..clierror import CliError
from . import enrolment as enrolments
from .cli_common import data_dir as _data_dir, with_research as _with_research
from .dictionary import COLUMNS
from .study_client import StudyServerError

LABELS = {
    "en": {"study": "Study", "consent": "Consent text (version {v})", "fields": "Raw fields it asks for",
           "none": "none (categories and pseudonyms only)", "kept": "Kept for {d} days on the server",
           "period": "Runs from {s} to {e}; uploads every {i} s",
           "ask": "Do you agree and join? [y/N] "},
    "zh": {"study": "研究", "consent": "知情同意书（版本 {v}）", "fields": "要求的原始字段",
           "none": "无（只有类别和假名）", "kept": "服务器保存 {d} 天",
           "period": "研究期间 {s} 至 {e}；每 {i} 秒上传一次",
           "ask": "你是否同意并加入？[y/N] "},
}


def add_study_commands(commands) -> None:
    join = commands.add_parser("join", help="join a study on a study server with an invitation code")
    join.add_argument("url", help="the study server's address, e.g. https://study.example.org")
    join.add_argument("code", help="your single-use invitation code")
    join.add_argument("--language", help="language of the consent text (default: from $LANG)")
    join.add_argument("--yes", action="store_true", help="agree without asking (scripts)")
    join.set_defaults(func=cmd_join)
    upload = commands.add_parser("upload", help="send the pending records to the study server now")
    upload.set_defaults(func=cmd_upload)


def _language(given: str | None) -> str:
    tag = given or os.environ.get("LC_ALL") or os.environ.get("LANG") or "en"
    return "zh-CN" if tag.lower().startswith("zh") else tag.split(".")[0].replace("_", "-") or "en"


def _pick(texts: dict, language: str) -> str:
    for tag in (language, language.split("-")[0]):
        for key, text in texts.items():
            if key.lower() == tag.lower() or key.lower().split("-")[0] == tag.lower():
                return text
    return texts.get("en") or next(iter(texts.values()))


def describe(study: dict, language: str) -> str:
    words = LABELS["zh" if language.lower().startswith("zh") else "en"]
    described = {c.consent: c.description for c in COLUMNS if c.consent}
    fields = [f"  - {f}: {described.get(f, '')}" for f in study["fields"]]
    return "\n".join([
        f"{words['study']}: {_pick(study['title'], language)} ({study['id']})", "",
        words["consent"].format(v=study["consent"]["version"]),
        _pick(study["consent"]["text"], language), "",
        f"{words['fields']}:", *(fields or [f"  {words['none']}"]),
        words["kept"].format(d=study["retention_days"]),
        words["period"].format(s=study["start"][:10], e=study["end"][:10], i=study["upload_interval"]),
    ])


def cmd_join(args) -> int:
    from . import study_client

    language = _language(args.language)
    try:
        study = asyncio.run(study_client.invitation(args.url, args.code))
    except StudyServerError as exc:
        raise CliError(str(exc), "check the address and the code the study gave you") from None
    print(describe(study, language))
    if not args.yes:
        print(LABELS["zh" if language.startswith("zh") else "en"]["ask"], end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes", "是"):
            print("not joined: research mode is unchanged")
            return 1
    version = study["consent"]["version"]
    try:
        answer = asyncio.run(study_client.enrol(args.url, args.code, version, study["fields"], language))
    except StudyServerError as exc:
        raise CliError(str(exc)) from None
    data_dir = _data_dir(args)
    enrolment = enrolments.Enrolment(
        server=args.url, study_id=study["id"], participant=answer["participant"], key=answer["key"],
        consent_version=version, fields=tuple(answer["fields"]), language=language,
        upload_interval=study["upload_interval"])
    enrolments.save(data_dir, enrolment)
    asyncio.run(_with_research(args, lambda research: research.enable(
        study["id"], version, list(answer["fields"]), study["retention_days"],
        participant=answer["participant"])))
    print(f"joined {study['id']} as participant {answer['participant']}: research mode is on; "
          f"`feedlens research preview` shows what will be sent")
    return 0


def cmd_upload(args) -> int:
    from .upload import Uploader

    try:
        sent = asyncio.run(_with_research(args, lambda research: Uploader(research).upload_once()))
    except StudyServerError as exc:
        raise CliError(str(exc), "the next try sends the same records again; nothing is lost") from None
    print(f"uploaded {sent:,} records")
    return 0


def open_enrolments(data_dir: Path) -> list[enrolments.Enrolment]:
    """Every enrolment not withdrawn yet (a withdrawal the server missed is tried again)."""
    found = []
    for file in sorted((Path(data_dir) / "research").glob("*.study.json")):
        enrolment = enrolments.load(data_dir, file.name.removesuffix(".study.json"))
        if enrolment is not None and not enrolment.withdrawn:
            found.append(enrolment)
    return found


def server_side(data_dir: Path, action: str, since=None, until=None) -> list[str]:
    """Withdraw from (action 'withdraw') or delete a period on (action 'delete') every study
    server this install is enrolled with; returns lines to print. Raises CliError on failure."""
    from . import study_client

    lines = []
    for enrolment in open_enrolments(data_dir):
        try:
            if action == "withdraw":
                receipt = asyncio.run(study_client.withdraw(enrolment))
            else:
                receipt = asyncio.run(study_client.delete(enrolment, since, until))
        except StudyServerError as exc:
            again = "disable" if action == "withdraw" else "delete"
            raise CliError(f"{enrolment.study_id}: {exc}",
                           f"run `feedlens research {again}` again to retry on the server") from None
        enrolments.with_receipt(data_dir, enrolment, receipt, withdrawn=action == "withdraw")
        lines.append(f"study server {enrolment.server}: deleted {receipt['deleted']:,} records of "
                     f"{enrolment.study_id} (receipt {receipt['receipt']}, {receipt['time']})")
    return lines


def server_pause(data_dir: Path, paused: bool) -> list[str]:
    """Tell the study servers this install is enrolled with (their participation view); a server
    out of reach is only noted: the pause itself is local and already in force."""
    from . import study_client

    lines = []
    for enrolment in open_enrolments(data_dir):
        try:
            state = asyncio.run(study_client.set_paused(enrolment, paused))["state"]
            lines.append(f"study server {enrolment.server}: {enrolment.study_id} is {state}")
        except StudyServerError as exc:
            lines.append(f"note: {enrolment.study_id}: the study server was not told: {exc}")
    return lines
