"""Fixture cases beside each adapter: discover them, run them, compare with matchers.

A case lives in rules/platforms/<platform>.fixtures/<case>.yaml with its body beside it.
Matchers follow yt-dlp's style: a literal must be equal, "re:PATTERN" must match, a type
name (str, int, float, bool, list, dict, none) checks the type, "count:N" / "mincount:N"
check the length of a list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import schema
from .continuations import ContinuationMemory
from .engine import Engine, Request
from .item_format import FormatMemory
from .model import Outcome
from .session import UNKNOWN, from_headers
from .yamlsrc import Source, YamlError, load

_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict,
          "none": type(None)}


@dataclass
class Case:
    platform: str
    name: str
    source: Source

    @property
    def data(self) -> dict:
        return self.source.data

    @property
    def path(self) -> Path:
        return Path(self.source.path)

    def body_path(self) -> Path:
        if "body" in self.data:
            return self.path.parent / self.data["body"]
        for suffix in (".json", ".html"):
            candidate = self.path.with_suffix(suffix)
            if candidate.exists():
                return candidate
        return self.path.with_suffix(".json")

    def request(self, engine: Engine | None = None) -> Request:
        """The case's request; with `engine`, the viewer's id is read from its headers too."""
        return exchange_request(self.data, engine)

    def content_type(self) -> str:
        return self.data.get("content_type", content_type_of(self.body_path()))


def exchange_request(data: dict, engine: Engine | None = None) -> Request:
    """The request of a case (or of its `context:`, the earlier page): url, method,
    request_body and request_headers, of which only names reach the engine (and the viewer's
    id, read where the adapter declares it)."""
    body = data.get("request_body")
    headers = data.get("request_headers")  # none: an offline body, session unknown
    request = Request(method=data.get("method", "GET").upper(), url=data["url"],
                      body=json.dumps(body).encode() if body is not None else None,
                      content_type="application/json" if body is not None else None,
                      session=from_headers(headers.items()) if headers is not None else UNKNOWN)
    if engine is not None and headers:
        request.viewer = engine.viewer(request, list(headers.items()))
    return request


def discover(platforms_dir: str | Path) -> tuple[list[Case], list[str]]:
    """All cases under <platforms_dir>/*.fixtures/, plus errors for unreadable ones."""
    cases, errors = [], []
    for folder in sorted(Path(platforms_dir).glob("*.fixtures")):
        for path in sorted(folder.glob("*.yaml")):
            try:
                source = load(path)
            except YamlError as exc:
                errors.append(str(exc))
                continue
            problems = schema.validate(source, "case")
            if problems:
                errors.extend(problems)
                continue
            cases.append(Case(platform=folder.name.removesuffix(".fixtures"), name=path.stem, source=source))
    return cases, errors


def run(engine: Engine, case: Case) -> tuple[Outcome, list[str]]:
    """Run one case; returns the outcome and a list of `file:line: failure` messages. A case
    with a `context:` (the earlier page, or a response describing the viewer) runs that first,
    as the proxy would have seen it. Each case starts with no formats remembered (a fresh proxy)."""
    engine.formats = FormatMemory()
    body = case.body_path().read_bytes()
    request = case.request(engine)
    context = case.data.get("context")
    if context is not None:
        earlier_request, earlier_body = exchange_request(context, engine), (case.path.parent / context["body"]).read_bytes()
        request.viewer = request.viewer or engine.viewer_in(earlier_request, earlier_body)
        memory = ContinuationMemory()
        earlier = engine.process(earlier_request, earlier_body, content_type_of(case.path.parent / context["body"]))
        engine.remember(memory, None, earlier)
        engine.recall(memory, None, request)
    outcome = engine.process(request, body, case.content_type())
    return outcome, compare(case, outcome)


def content_type_of(path: Path) -> str:
    return "text/html; charset=utf-8" if path.suffix in (".html", ".htm") else "application/json"


def compare(case: Case, outcome: Outcome) -> list[str]:
    expect = case.data["expect"]
    src = case.source
    failures = []
    if outcome.error:
        failures.append(src.at(("url",), f"engine error: {outcome.error}"))
    got_endpoint = f"{outcome.platform}/{outcome.endpoint}" if outcome.endpoint else None
    want_endpoint = f"{case.platform}/{expect['endpoint']}"
    if got_endpoint != want_endpoint:
        failures.append(src.at(("expect", "endpoint"),
                               f"claimed by {got_endpoint or 'no endpoint'} ({outcome.reason}), expected {want_endpoint}"))
        return failures
    if len(outcome.items) != expect["count"]:
        failures.append(src.at(("expect", "count"), f"{len(outcome.items)} items, expected {expect['count']}"))
    if "provenance" in expect and outcome.counts() != expect["provenance"]:
        failures.append(src.at(("expect", "provenance"),
                               f"provenance counts {outcome.counts()}, expected {expect['provenance']}"))
    for facet in ("format", "relation"):
        got = facet_counts(outcome, facet)
        if facet in expect and got != expect[facet]:
            failures.append(src.at(("expect", facet), f"{facet} counts {got}, expected {expect[facet]}"))
    for index, wanted in enumerate(expect.get("items", [])):
        if index >= len(outcome.items):
            failures.append(src.at(("expect", "items", index), "no such item"))
            continue
        actual = outcome.items[index].to_dict()
        for key, matcher in wanted.items():
            problem = check(matcher, actual.get(key), key)
            if problem:
                failures.append(src.at(("expect", "items", index, key), f"item {index}: {problem}"))
    return failures


def facet_counts(outcome: Outcome, facet: str) -> dict[str, int]:
    """Items by format or relation (docs/format.md), as a case's `expect.format` lists them."""
    out: dict[str, int] = {}
    for item in outcome.items:
        value = getattr(item, facet)
        out[value] = out.get(value, 0) + 1
    return out


def check(matcher, value, key: str = "value") -> str | None:
    """None when value satisfies matcher, else a message."""
    if isinstance(matcher, str):
        if matcher.startswith("re:"):
            if not isinstance(value, str) or not re.search(matcher[3:], value):
                return f"{key}={value!r} does not match {matcher!r}"
            return None
        if matcher in _TYPES:
            wanted = _TYPES[matcher]
            ok = isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))
            return None if ok else f"{key}={value!r} is not of type {matcher}"
        for prefix, compare_fn in (("count:", lambda n, m: n == m), ("mincount:", lambda n, m: n >= m)):
            if matcher.startswith(prefix):
                size = len(value) if isinstance(value, (list, str, dict)) else None
                if size is None or not compare_fn(size, int(matcher[len(prefix):])):
                    return f"{key} has length {size}, expected {matcher}"
                return None
    if isinstance(matcher, list) and isinstance(value, list):
        return None if matcher == value else f"{key}={value!r}, expected {matcher!r}"
    return None if matcher == value else f"{key}={value!r}, expected {matcher!r}"
