"""pack.yaml, a pack's header: its JSON Schema, loading with `file:line` messages, writing.

    name: feedlens-core              # ^[a-z0-9][a-z0-9-]{1,63}$
    title: {en: …, zh-CN: …}         # or one string
    version: "2026.12.06"            # any string
    released: 2026-12-06             # ISO date
    expires: 30 days
    homepage: https://…              # optional
    licence: GPL-3.0-or-later
    min_feedlens: "0.1.0"            # PEP 440
    update_urls: []                  # optional: mirrors, tried in order
    files: {platforms/x.yaml: <sha256 hex>, …}   # every other file of the pack
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from jsonschema import Draft202012Validator
from packaging.version import InvalidVersion, Version

from .. import __version__, schema_messages
from ..yamlsrc import Source, YamlError, load

HEADER_FILE = "pack.yaml"
SIGNATURE_FILE = "pack.sig"
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
FIELDS = ("name", "title", "version", "released", "expires", "homepage", "licence",
          "min_feedlens", "update_urls", "files")

SCHEMA = {
    "type": "object",
    "required": ["name", "title", "version", "released", "expires", "licence", "min_feedlens", "files"],
    "properties": {
        "name": {"type": "string", "pattern": NAME_PATTERN},
        "title": {"oneOf": [{"type": "string"}, {
            "type": "object", "required": ["en"], "additionalProperties": False,
            "properties": {"en": {"type": "string"}, "zh-CN": {"type": "string"}}}]},
        "version": {"type": "string", "minLength": 1},
        "released": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "expires": {"type": "string", "pattern": r"^[1-9][0-9]{0,3} days?$"},
        "homepage": {"type": "string"},
        "licence": {"type": "string", "minLength": 1},
        "min_feedlens": {"type": "string"},
        "update_urls": {"type": "array", "items": {"type": "string", "pattern": "^https?://"}},
        "files": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
    },
    "additionalProperties": False,
}
_validator = Draft202012Validator(SCHEMA)


@dataclass
class Header:
    source: Source

    @property
    def data(self) -> dict:
        return self.source.data

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def version(self) -> str:
        return self.data["version"]

    @property
    def files(self) -> dict[str, str]:
        return dict(self.data["files"])

    @property
    def expires_days(self) -> int:
        return int(self.data["expires"].split()[0])

    @property
    def update_urls(self) -> list[str]:
        return list(self.data.get("update_urls", []))


def load_header(root: Path) -> tuple[Header | None, list[str]]:
    """The header of the pack directory `root`, or None and every problem as `file:line: …`."""
    path = Path(root) / HEADER_FILE
    if not path.is_file():
        return None, [f"{path}:1: no pack header (a pack has {HEADER_FILE} at its root)"]
    try:
        source = load(path)
    except YamlError as exc:
        return None, [str(exc)]
    problems = schema_messages.messages(source, _validator.iter_errors(source.data))
    if not problems:
        problems = _semantic_problems(source)
    return (None, problems) if problems else (Header(source), [])


def _semantic_problems(source: Source) -> list[str]:
    data, problems = source.data, []
    try:
        dt.date.fromisoformat(data["released"])
    except ValueError:
        problems.append(source.at(("released",), f"released: {data['released']!r} is not a date"))
    try:
        Version(data["min_feedlens"])
    except InvalidVersion:
        problems.append(source.at(("min_feedlens",), f"min_feedlens: {data['min_feedlens']!r} "
                                  "is not a version (PEP 440, e.g. \"0.1.0\")"))
    for name in data["files"]:
        problem = path_problem(name)
        if problem:
            problems.append(source.at(("files", name), f"files: {name!r}: {problem}"))
    return problems


def path_problem(name: str) -> str | None:
    """Why `name` cannot be a file of a pack (None when it can): a relative POSIX path inside
    the pack, and neither the header nor the signature."""
    if not name or name.startswith("/") or "\\" in name or ":" in name.split("/")[0]:
        return "not a relative POSIX path"
    parts = PurePosixPath(name).parts
    if ".." in parts or "." in parts or name.endswith("/") or "//" in name:
        return "leaves the pack or is not a plain path"
    if name in (HEADER_FILE, SIGNATURE_FILE):
        return "the header and the signature are not listed"
    return None


def too_new(header: Header, current: str = __version__) -> str | None:
    """The message when this feedlens is older than the pack's min_feedlens, else None."""
    if Version(current) >= Version(header.data["min_feedlens"]):
        return None
    return header.source.at(("min_feedlens",), f"the pack needs feedlens {header.data['min_feedlens']} "
                            f"or newer; this is {current}")


def dump(fields: dict) -> str:
    """pack.yaml's text: the fields in their usual order, files sorted."""
    ordered = {key: fields[key] for key in FIELDS if key in fields}
    ordered["files"] = dict(sorted(fields.get("files", {}).items()))
    return ("# A feedlens rule pack's header (docs/rule-packs.md).\n"
            + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100))


def today() -> str:
    return dt.date.today().isoformat()
