"""The coverage matrix: which of each platform's feed surfaces an adapter endpoint claims.

`rules/coverage.yaml` lists, per platform, the surfaces feedlens should read, each with a sample
request and either the endpoint that claims it or the reason it is missing. This module
validates the file (strict schema, `file:line` messages), checks every claim mechanically (the
sample is routed to the named endpoint, which has a fixture case; a missing surface's sample is
claimed by nothing), runs the fixture cases to list the formats (item_format.py) each surface's
fixtures show, and renders the matrix as text or Markdown (`feedlens coverage`,
docs/coverage.md; coverage_report.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from . import fixtures, schema_messages
from .adapters import AdapterSet, graphql_operation, load_adapters
from .engine import Engine, Request
from .item_format import FORMATS
from .yamlsrc import Source, YamlError, load

FILE_NAME = "coverage.yaml"

# States of a surface, in the order the report lists them.
FIXTURE = "claimed, fixture"           # claimed, and a fixture case of the endpoint uses its path
CLAIMED = "claimed, no fixture"        # claimed, but no fixture case of the endpoint uses its path
MISSING = "missing"                    # no endpoint claims it (the entry says why)
STATES = (FIXTURE, CLAIMED, MISSING)

_text = {"type": "string", "minLength": 1}
_SURFACE = {
    "type": "object",
    "required": ["id", "description"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "description": _text,
        "sample": {"type": "string", "pattern": "^https://[^/?#]+/"},
        "method": {"enum": ["GET", "POST"]},
        "request_body": {"type": "object"},
        "endpoint": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "missing": _text,
    },
    "additionalProperties": False,
    "oneOf": [
        {"required": ["endpoint", "sample"], "not": {"required": ["missing"]}},
        {"required": ["missing"], "not": {"required": ["endpoint"]}},
    ],
}
SCHEMA = {
    "type": "object",
    "required": ["platforms"],
    "properties": {
        "platforms": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z0-9][a-z0-9_-]*$"},
            "additionalProperties": {
                "type": "object",
                "required": ["surfaces"],
                "properties": {
                    "modelled_on": _text,
                    "surfaces": {"type": "array", "minItems": 1, "items": _SURFACE},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
_VALIDATOR = Draft202012Validator(SCHEMA)


class CoverageError(ValueError):
    """A malformed coverage file; `messages` are `file:line: what is wrong`."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0] if messages else "invalid coverage file")
        self.messages = messages


@dataclass
class Surface:
    platform: str
    id: str
    description: str
    sample: str | None
    method: str
    request_body: dict | None
    endpoint: str | None
    missing: str | None
    where: tuple

    def request(self) -> Request | None:
        if self.sample is None:
            return None
        body = None if self.request_body is None else json.dumps(self.request_body).encode()
        return Request(method=self.method, url=self.sample, body=body,
                       content_type="application/json" if body is not None else None)


@dataclass
class Row:
    surface: Surface
    state: str
    routed_to: str | None = None          # what the sample is really routed to
    formats: tuple[str, ...] = ()         # of the items its fixture cases on its path extract


@dataclass
class Matrix:
    source: Source
    rows: list[Row]
    problems: list[str]                   # `file:line:` messages: claims that do not hold
    # per platform, its adapter's raw `choice:` section (choice.py)
    choices: dict[str, dict] = field(default_factory=dict)

    def modelled_on(self, platform: str) -> str | None:
        return self.source.data["platforms"][platform].get("modelled_on")

    def platforms(self) -> list[str]:
        return list(self.source.data["platforms"])

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for r in self.rows if r.state == state) for state in STATES}


def coverage_file(rules: Path) -> Path:
    return rules / FILE_NAME


def load_surfaces(path: str | Path) -> tuple[Source, list[Surface]]:
    """Parse and validate the file; CoverageError with every problem when it is malformed."""
    try:
        source = load(path)
    except YamlError as exc:
        raise CoverageError([str(exc)]) from None
    problems = schema_messages.messages(source, _VALIDATOR.iter_errors(source.data))
    if problems:
        raise CoverageError(problems)
    surfaces: list[Surface] = []
    for platform, entry in source.data["platforms"].items():
        seen: set[str] = set()
        for index, item in enumerate(entry["surfaces"]):
            where = ("platforms", platform, "surfaces", index)
            if item["id"] in seen:
                problems.append(source.at(where + ("id",), f"duplicate surface id {item['id']!r}"))
            seen.add(item["id"])
            surfaces.append(Surface(platform, item["id"], item["description"], item.get("sample"),
                                    item.get("method", "GET"), item.get("request_body"),
                                    item.get("endpoint"), item.get("missing"), where))
    if problems:
        raise CoverageError(problems)
    return source, surfaces


def path_key(url: str) -> str:
    """What a fixture must share with a sample to count for it: the path, or for GraphQL the
    operation name (the hash in the path rotates)."""
    path = urlsplit(url).path or "/"
    operation = graphql_operation(path)
    return f"graphql:{operation}" if operation else path


def evaluate(path: str | Path, rules: Path) -> Matrix:
    """The matrix for the coverage file at `path` against the adapters and fixtures in `rules`."""
    source, surfaces = load_surfaces(path)
    adapters = load_adapters([rules / "platforms"])
    cases, case_errors = fixtures.discover(rules / "platforms")
    fixture_keys: dict[tuple[str, str], set[str]] = {}
    for case in cases:
        key = (case.platform, case.data["expect"]["endpoint"])
        fixture_keys.setdefault(key, set()).add(path_key(case.data["url"]))
    engine = Engine(adapters)
    formats = fixture_formats(engine, cases)
    rows, problems = [], list(adapters.errors) + case_errors
    known = {a.platform for a in adapters.adapters}
    for platform in source.data["platforms"]:
        if platform not in known:
            problems.append(source.at(("platforms", platform), f"no adapter for platform {platform!r}"))
    for surface in surfaces:
        row, problem = _check(source, surface, engine, adapters, fixture_keys)
        if row.state == FIXTURE:
            row.formats = formats.get((surface.platform, surface.endpoint, path_key(surface.sample)), ())
        rows.append(row)
        if problem:
            problems.append(problem)
    choices = {a.platform: a.raw.get("choice") or {} for a in adapters.adapters}
    return Matrix(source, rows, problems, choices)


def fixture_formats(engine: Engine, cases: list) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(platform, endpoint, path key) -> the formats of the items its fixture cases extract, in
    the vocabulary's order (a case that fails extracts nothing here; the fixture tests say why)."""
    found: dict[tuple[str, str, str], set[str]] = {}
    for case in cases:
        key = (case.platform, case.data["expect"]["endpoint"], path_key(case.data["url"]))
        outcome, _ = fixtures.run(engine, case)
        into = found.setdefault(key, set())
        if outcome.endpoint == key[1]:
            into.update(item.format for item in outcome.items)
    return {key: tuple(f for f in FORMATS if f in values) for key, values in found.items()}


def _check(source: Source, surface: Surface, engine: Engine, adapters: AdapterSet,
           fixture_keys: dict) -> tuple[Row, str | None]:
    request = surface.request()
    routed = None
    if request is not None:
        candidates = adapters.router.route(request.method, request.host, request.path)
        chosen = engine.select(request, candidates)
        routed = f"{chosen.platform}/{chosen.name}" if chosen else None
    name = f"{surface.platform}/{surface.id}"
    if surface.missing is not None:
        row = Row(surface, MISSING, routed)
        if routed:
            return row, source.at(surface.where + ("missing",), f"{name}: listed as missing, but its "
                                  f"sample is claimed by {routed}: mark it `endpoint:` or fix the sample")
        return row, None
    wanted = f"{surface.platform}/{surface.endpoint}"
    keys = fixture_keys.get((surface.platform, surface.endpoint))
    state = FIXTURE if keys and path_key(surface.sample) in keys else CLAIMED
    row = Row(surface, state, routed)
    if routed != wanted:
        return row, source.at(surface.where + ("endpoint",), f"{name}: sample is claimed by "
                              f"{routed or 'no endpoint'}, not {wanted}")
    if not keys:
        return row, source.at(surface.where + ("endpoint",),
                              f"{name}: endpoint {wanted} has no fixture case")
    return row, None
