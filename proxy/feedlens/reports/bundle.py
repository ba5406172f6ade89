"""A report's evidence bundle: named parts, a SHA-256 manifest, a zip export and its check.

Parts, in bundle order: item.json (the item as the proxy saw it), context.json (page, category,
platform reason, times), request.json (the prepared request; cookie placeholders stay unfilled,
so no cookie value can ever be in it), screenshot.png/.jpg (when the browser sent one),
notice-12377.txt and notice-dsa.txt (where the category has that channel), and last
manifest.json (size and SHA-256 of every other part). The zip adds SHA256SUMS (the same
hashes, for `sha256sum -c`) and README.txt; neither is evidence, both are checked or ignored
by verify().
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__

FORMAT = "feedlens-evidence/1"
ALGORITHM = "sha256"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
MAX_SCREENSHOT = 8 * 1024 * 1024
_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n", "png"), "image/jpeg": (b"\xff\xd8\xff", "jpg")}
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=\s]*)", re.S)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class BundleError(ValueError):
    """Bad input for a bundle; `status` is the HTTP status a service answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Part:
    name: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ---- building ------------------------------------------------------------------------------

def iso(time: float | None) -> str | None:
    if time is None:
        return None
    return datetime.fromtimestamp(time, timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def json_bytes(value) -> bytes:
    """Stable bytes for a JSON part: the same value always hashes the same."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, default=str)
            + "\n").encode("utf-8")


def json_part(name: str, value) -> Part:
    return Part(name, "application/json", json_bytes(value))


def text_part(name: str, text: str) -> Part:
    return Part(name, "text/plain; charset=utf-8", text.encode("utf-8"))


def decode_screenshot(data_url: str) -> Part:
    """A data: URL from the browser, as a PNG or JPEG part; the bytes must be what they claim."""
    match = _DATA_URL.fullmatch(data_url.strip())
    if not match:
        raise BundleError("screenshot must be a data:image/png or data:image/jpeg base64 URL")
    media_type, payload = match.groups()
    if len(payload) > (MAX_SCREENSHOT * 4) // 3 + 8:
        raise BundleError(f"screenshot over {MAX_SCREENSHOT} bytes", status=413)
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BundleError("screenshot is not valid base64") from None
    if len(data) > MAX_SCREENSHOT:
        raise BundleError(f"screenshot over {MAX_SCREENSHOT} bytes", status=413)
    magic, extension = _MAGIC[media_type]
    if not data.startswith(magic):
        raise BundleError(f"screenshot bytes are not {media_type}")
    return Part(f"screenshot.{extension}", media_type, data)


def item_evidence(source: str, item: dict | None, seen: float | None,
                  response_url: str | None) -> dict:
    """item.json: what the proxy knew about the item, and where that knowledge came from."""
    notes = {
        "recent": "The item exactly as it passed through the proxy (kept in memory).",
        "item_log": "The item was no longer in memory; this is the latest row of the item log,"
                    " which keeps no item text.",
        "page": "The proxy never saw this item; only the id the page gave is known.",
    }
    return {"source": source, "note": notes[source], "seen": seen, "seen_iso": iso(seen),
            "response_url": response_url, "item": item}


def context(*, client_request_id: str, page_url: str, platform: str, kind: str, item_id: str,
            category: dict, reason: dict | None, mode: str, description: str,
            target: dict | None, item_seen: float | None, created: float) -> dict:
    """context.json: what was reported, under which rule, where and when."""
    return {"client_request_id": client_request_id, "page_url": page_url, "platform": platform,
            "kind": kind, "item_id": item_id, "category": category, "platform_reason": reason,
            "mode": mode, "description": description, "target": target,
            "times": {"item_seen": item_seen, "item_seen_iso": iso(item_seen),
                      "report_created": created, "report_created_iso": iso(created)}}


def build_parts(*, item: dict, context: dict, request: dict, screenshot: Part | None,
                notices: dict[str, str], created: float) -> list[Part]:
    """Every part of the bundle in order, manifest.json last."""
    parts = [json_part("item.json", item), json_part("context.json", context),
             json_part("request.json", request)]
    if screenshot is not None:
        parts.append(screenshot)
    for channel in ("12377", "dsa"):
        if channel in notices:
            parts.append(text_part(f"notice-{channel}.txt", notices[channel]))
    parts.append(json_part(MANIFEST, manifest(parts, created)))
    return parts


def manifest(parts: list[Part], created: float) -> dict:
    return {"format": FORMAT, "algorithm": ALGORITHM, "created": iso(created),
            "feedlens_version": __version__,
            "parts": [{"name": p.name, "media_type": p.media_type, "size": len(p.data),
                       "sha256": p.sha256} for p in parts if p.name != MANIFEST]}


# ---- export --------------------------------------------------------------------------------

def export_zip(parts: list[Part], report_id: int, created: float, guide: str | None = None) -> bytes:
    """The bundle as a zip; the same parts always give the same bytes. `guide`: README.txt's
    list of parts, when the bundle is not an item report's (see readme())."""
    stamp = max(ZIP_EPOCH, datetime.fromtimestamp(created, timezone.utc).timetuple()[:6])
    evidence = [p for p in parts if p.name != MANIFEST]
    files = [*((p.name, p.data) for p in evidence)]
    files += [(MANIFEST, next(p.data for p in parts if p.name == MANIFEST))]
    files += [(SUMS, sums(evidence).encode("utf-8")),
              (README, readme(report_id, evidence, guide).encode("utf-8"))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def sums(parts: list[Part]) -> str:
    """sha256sum's own format ("HASH  NAME"), so `sha256sum -c SHA256SUMS` checks the parts."""
    return "".join(f"{p.sha256}  {p.name}\n" for p in parts)


def readme(report_id: int, parts: list[Part], guide: str | None = None) -> str:
    names = "\n".join(f"  {p.name:<20} {len(p.data):>9} bytes  {p.sha256}" for p in parts)
    return f"""feedlens evidence bundle for report {report_id}
=============================================

These files were stored together, in one database transaction, before the report was
sent to the platform. manifest.json records the size and SHA-256 hash of every part:

{names}

To check that no part was changed since, run in the unpacked folder:

    sha256sum -c SHA256SUMS

(every line must say OK; SHA256SUMS repeats the hashes of manifest.json), or check the zip
itself, which also finds missing and extra parts and a SHA256SUMS that disagrees with
manifest.json:

    feedlens reports verify THIS-FILE.zip

To anchor the bundle, note the SHA-256 of manifest.json (`sha256sum manifest.json`); it is
also shown on the dashboard's report page. Parts:
{guide or ITEM_GUIDE}"""


ITEM_GUIDE = """\
  item.json          the item as the proxy saw it (see its "source" and "note")
  context.json       page URL, platform, category with its legal reference, platform reason,
                     when the item was seen and when the report was made
  request.json       the request handed to the browser; {cookie:NAME} placeholders are
                     filled only inside the browser, so no cookie value is in it
  screenshot.*       the visible tab when the report was made (if one was taken)
  notice-12377.txt   a report text for the 12377 reporting centre (if the category has one)
  notice-dsa.txt     an EU DSA Art 16 notice with name and e-mail left for you to fill in
"""


# ---- verification --------------------------------------------------------------------------

def verify(source: bytes | str | Path) -> list[str]:
    """Problems with an exported bundle (changed, missing or extra parts, bad manifest); [] = ok."""
    return check(source)[1]


def check(source: bytes | str | Path) -> tuple[int, list[str]]:
    """(parts listed in the manifest, problems found)."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [info.filename for info in archive.infolist()]
        files = {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
            zlib.error) as exc:
        return 0, [f"not a readable zip file: {exc}"]
    problems = [f"bad zip: part {n} appears more than once" for n in sorted(set(names))
                if names.count(n) > 1]
    entries, manifest_problems = _manifest_entries(files.get(MANIFEST))
    if manifest_problems:
        return 0, problems + manifest_problems
    for entry in entries:
        name = entry["name"]
        if name not in files:
            problems.append(f"missing part: {name}")
            continue
        found = hashlib.sha256(files[name]).hexdigest()
        if found != entry["sha256"] or len(files[name]) != entry["size"]:
            problems.append(f"changed part: {name} (manifest sha256 {entry['sha256']}, "
                            f"{entry['size']} bytes; found {found}, {len(files[name])} bytes)")
    listed = {entry["name"] for entry in entries} | {MANIFEST, SUMS, README}
    problems += [f"extra part: {name} (not in manifest.json)"
                 for name in sorted(set(files) - listed)]
    if SUMS in files:
        problems += _check_sums(files[SUMS], entries)
    return len(entries), problems


def _manifest_entries(raw: bytes | None) -> tuple[list[dict], list[str]]:
    if raw is None:
        return [], [f"bad manifest: {MANIFEST} is missing"]
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return [], [f"bad manifest: {MANIFEST} is not valid JSON ({exc})"]
    if not isinstance(data, dict) or data.get("algorithm") != ALGORITHM \
            or not isinstance(data.get("parts"), list):
        return [], [f"bad manifest: expected an object with algorithm {ALGORITHM!r} and parts"]
    entries, seen = [], set()
    for index, entry in enumerate(data["parts"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("size"), int)
                and re.fullmatch(r"[0-9a-f]{64}", str(entry.get("sha256", "")))):
            return [], [f"bad manifest: part #{index + 1} needs name, size and a sha256 hex digest"]
        if entry["name"] in seen or entry["name"] in (MANIFEST, SUMS, README):
            return [], [f"bad manifest: part {entry['name']} listed twice or reserved"]
        seen.add(entry["name"])
        entries.append(entry)
    return entries, []


def _check_sums(raw: bytes, entries: list[dict]) -> list[str]:
    expected = {entry["name"]: entry["sha256"] for entry in entries}
    listed = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    if listed != expected:
        return [f"{SUMS} disagrees with {MANIFEST}"]
    return []


def template_item(evidence: dict, kind: str) -> dict:
    """The item of item.json in Item.to_dict() shape, for the report templates and notices."""
    from ..model import Item

    known = evidence["item"] or {}
    if evidence["source"] == "recent":
        return known
    shaped = Item(platform=known.get("platform", ""), endpoint=known.get("endpoint") or "",
                  surface=known.get("surface") or "", position=0,
                  id=str(known.get("item_id", known.get("id"))),
                  kind=known.get("kind") or kind).to_dict()
    for key in ("author_id", "author", "provenance", "reason", "evidence", "confidence", "rule",
                "labels", "decision", "decision_rule"):
        if known.get(key) is not None:
            shaped[key] = known[key]
    return shaped
