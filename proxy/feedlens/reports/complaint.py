"""A complaint about a reverted choice, as a report of kind `choice_revert` with its evidence
bundle, so it lives with the other reports (list, export, verify, status) in the same tables.

The case (a plain dict: the revert, its track, the epoch's observations) comes from the choice
watchdog through the caller. Parts, in bundle order: revert.json, history.json, context.json,
the complaint texts (zh-CN and en for the jurisdiction), then manifest.json (size and SHA-256
of every other part). Mode is `manual`: the user sends it; nothing here talks to a platform.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable

from . import bundle, store as rstore
from .complaint_text import CENTRE_12377, JURISDICTIONS, texts

KIND = "choice_revert"
# The category a complaint is filed under (one per jurisdiction), as the reports pages name it;
# not in rules/categories.yaml, which lists what an *item* can be reported for.
CATEGORIES = {"choice.cn": ("个性化推荐关闭选项未被遵守（算法推荐管理规定第十七条）",
                            "Personalisation choice not honoured (Algorithmic Recommendation Provisions Art 17)"),
              "choice.eu": ("个性化推荐关闭选项未被遵守（《数字服务法》第 38、25 条）",
                            "Personalisation choice not honoured (DSA Art 38, Art 25)")}
# The complaint text a notice channel of the reports API answers with, per language.
NOTICE_PARTS = {"12377": {"zh": "complaint-cn.zh.txt", "en": "complaint-cn.en.txt"},
                "dsa": {"zh": "notice-eu.zh.txt", "en": "notice-eu.en.txt"}}
CHANNELS = {
    "cn": [{"channel": "platform", "basis": "互联网信息服务算法推荐管理规定 Art 17, Art 22"},
           {"channel": "12377", "url": CENTRE_12377, "basis": "互联网信息服务算法推荐管理规定 Art 17"}],
    "eu": [{"channel": "platform", "basis": "Regulation (EU) 2022/2065 Art 38, Art 25"},
           {"channel": "digital_services_coordinator", "basis": "Regulation (EU) 2022/2065 Art 53",
            "when": "if the platform does not remedy it"}],
}


GUIDE = """\
  revert.json        the revert: platform, choice, device, when, confirmed or suspected, why,
                     and the observations behind it (field read, value cut short, method,
                     host and path; no cookie or token value)
  history.json       the epoch's observations up to the revert, the track, every epoch's span
  context.json       jurisdiction, where to send the complaint and on which legal basis, times
  complaint-cn.*.txt a complaint citing Algorithmic Recommendation Provisions Art 17 (CN), or
  notice-eu.*.txt    a notice citing DSA Art 38 and Art 25 (EU); zh-CN and en; fill in your name
"""


def client_request_id(revert_id: int, jurisdiction: str) -> str:
    """One complaint per revert and jurisdiction: preparing it again finds the stored one."""
    return f"choice-revert-{revert_id}-{jurisdiction}"


def build(case: dict, jurisdiction: str, created: float) -> tuple[rstore.NewReport, list[bundle.Part]]:
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}")
    revert = case["revert"]
    context = {"platform": revert["platform"], "device": revert["device"], "choice": revert["choice"],
               "jurisdiction": jurisdiction, "channels": CHANNELS[jurisdiction],
               "finding": revert["sure"], "reason": revert["reason"], "epoch": revert["epoch"],
               "times": {"revert": revert["time"], "revert_iso": bundle.iso(revert["time"]),
                         "complaint_created": created, "complaint_created_iso": bundle.iso(created)},
               "note": "Observed on the user's own traffic by feedlens; evidence keeps only the field a "
                       "choice rule reads (value cut short) and method, host and path. No cookie or "
                       "token value is in this bundle."}
    history = {"track": case.get("track"), "epochs": case.get("epochs", []),
               "observations": case.get("history", [])}
    parts = [bundle.json_part("revert.json", revert), bundle.json_part("history.json", history),
             bundle.json_part("context.json", context)]
    parts += [bundle.text_part(name, text) for name, text in texts(case, jurisdiction).items()]
    parts.append(bundle.json_part(bundle.MANIFEST, bundle.manifest(parts, created)))
    report = rstore.NewReport(
        client_request_id=client_request_id(revert["id"], jurisdiction), platform=revert["platform"],
        kind=KIND, item_id=str(revert["id"]), category=f"choice.{jurisdiction}", reason=None,
        mode="manual", page_url=_where(revert["evidence"]), created=created,
        request={"jurisdiction": jurisdiction, "channels": CHANNELS[jurisdiction]})
    return report, parts


def prepare(conn: sqlite3.Connection, case: dict, jurisdiction: str, created: float) -> int:
    """The complaint's report id: stored now (report row and parts, one transaction), or the
    one prepared before for this revert and jurisdiction."""
    found = rstore.find_client_request(conn, client_request_id(case["revert"]["id"], jurisdiction))
    if found is not None:
        return found
    report, parts = build(case, jurisdiction, created)
    return rstore.insert(conn, report, parts)


async def prepare_from(store, read_case: Callable, revert_id: int, jurisdiction: str,
                       created: float) -> int:
    """Read the revert's case (the watchdog's `read_case`, passed in: features do not import each
    other) and prepare its complaint on the store's threads; LookupError when no such revert.
    The CLI and the dashboard's form both come through here."""
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}")
    case = await store.run_read(lambda db: read_case(db, revert_id))
    return await store.run_write(lambda db: prepare(db, case, jurisdiction, created))


def write_out(parts: list[bundle.Part], report_id: int, created: float, out: Path) -> Path:
    """The bundle unpacked into `out` (every part, SHA256SUMS, README.txt) and as a zip beside
    it; returns the zip's path."""
    out.mkdir(parents=True, exist_ok=True)
    evidence = [p for p in parts if p.name != bundle.MANIFEST]
    for part in parts:
        (out / part.name).write_bytes(part.data)
    (out / bundle.SUMS).write_text(bundle.sums(evidence), encoding="utf-8")
    (out / bundle.README).write_text(bundle.readme(report_id, evidence, GUIDE), encoding="utf-8")
    archive = out.with_name(out.name + ".zip")
    archive.write_bytes(bundle.export_zip(parts, report_id, created, GUIDE))
    return archive


def _where(evidence: list) -> str:
    for entry in evidence:
        if entry.get("host"):
            return f"https://{entry['host']}{entry.get('path', '')}"
    return ""
