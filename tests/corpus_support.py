"""Real captured responses (../shared/corpus) and their expectations, for tests and benchmarks.

Developer tooling, not run time: it lives beside the tests, outside the installed package."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from feedlens.engine import Request

PROJECT_ROOT = Path(__file__).resolve().parent.parent

EXPECTATIONS = PROJECT_ROOT / "tests" / "corpus_expected.yaml"


def corpus_dir() -> Path:
    return Path(os.environ.get("FEEDLENS_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))


def wrap(fragment, spec: str | None):
    """Rebuild a minimal response around a fragment: 'a.b[].c[]' puts it at a.b[0].c[0]."""
    value = fragment
    for segment in reversed(spec.split(".")) if spec else ():
        value = {segment[:-2]: [value]} if segment.endswith("[]") else {segment: value}
    return value


@dataclass
class Capture:
    name: str
    spec: dict
    body: bytes

    def request(self) -> Request:
        request_body = self.spec.get("request_body")
        return Request(self.spec.get("method", "GET"), self.spec["url"],
                       json.dumps(request_body).encode() if request_body is not None else None,
                       "application/json" if request_body is not None else None)

    @property
    def content_type(self) -> str:
        return self.spec.get("content_type", "application/json")


def expectations() -> dict[str, dict]:
    return yaml.safe_load(EXPECTATIONS.read_text(encoding="utf-8"))


def load(name: str, spec: dict, root: Path | None = None) -> Capture:
    raw = ((root or corpus_dir()) / name).read_bytes()
    if spec.get("wrap"):
        raw = json.dumps(wrap(json.loads(raw), spec["wrap"]), ensure_ascii=False).encode()
    return Capture(name, spec, raw)
