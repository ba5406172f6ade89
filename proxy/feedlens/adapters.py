"""Compile adapter YAML into endpoint objects (routed by feedlens.router)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import schema
from .canary import Canary, shape_of
from .adapter_sections import SectionCompiler
from .continuations import ContinuationSpec  # noqa: F401 (Endpoint field type)
from .item_format import Facet, undeclared
from .jmes import Expr, compile_expr, is_container_path
from .marks import MarkTarget, from_spec as mark_targets
from .placeholder import PlaceholderSpec  # noqa: F401 (Endpoint field type)
from .router import Router, graphql_operation, path_claims  # noqa: F401 (graphql_operation: re-exported)
from .session import SessionSpec
from .viewer import ViewerSource
from .yamlsrc import Source, YamlError, load

FIELD_NAMES = ("id", "kind", "author_id", "author", "title", "text", "url", "published",
               "duration", "duration_ms")


class AdapterError(ValueError):
    """An adapter that cannot be loaded; `messages` are `file:line: what is wrong`."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(slots=True)
class ProvenanceRule:
    index: int
    provenance: str
    when: Expr | None
    type: str | None
    context: Expr | None
    request: Expr | None  # a condition on the request context (session, query, …)
    reason: Expr | None
    confidence: float
    label: str | None
    why: str | None
    is_default: bool


@dataclass(slots=True)
class ItemShape:
    """How to read one kind of item: fields, default kind, skip condition, and where its
    mark goes (`marks`; or none, `unmarked` says why)."""

    kind: str
    fields: dict[str, Expr]
    skip: Expr | None
    marks: list[MarkTarget] = field(default_factory=list)
    unmarked: str | None = None
    # what the item is (item_format.py): the shape's own, else its endpoint's, else the adapter's
    format: Facet = field(default_factory=undeclared)
    relation: Facet = field(default_factory=undeclared)


@dataclass(slots=True)
class Endpoint:
    platform: str
    name: str
    surface: str
    body: str  # json | html: how the response body carries the feed
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    path_regex: re.Pattern | None
    graphql: str | None
    methods: frozenset[str]
    request: Expr | None
    embedded: list[dict]
    containers: list[Expr]
    find: dict[str, ItemShape]
    context: dict[str, Expr]
    shape: ItemShape
    labels: list[tuple[Expr, str]]
    parts: tuple[Expr, dict[str, Expr]] | None
    provenance: list[ProvenanceRule]
    dom: dict | None
    lang: str
    source: str = ""
    session: SessionSpec | None = None  # the adapter's `session:` (who is logged in)
    continuation: ContinuationSpec | None = None  # tokens issued and carried (continuations.py)
    placeholder: PlaceholderSpec | None = None  # the card left on an emptied page (placeholder.py)
    remove_emptied: Expr | None = None  # items.remove_emptied: enclosing elements hidden with their items
    # the adapter recalls formats (item_format.FormatMemory): its items' formats are remembered
    recalls_formats: bool = False
    pack: tuple[str, str] = ("", "")  # (name, version) of the rule pack it came from (layers.py)

    @property
    def key(self) -> str:
        return f"{self.platform}/{self.name}"

    def path_matches(self, path: str) -> bool:
        return path_claims(self.graphql, self.path_regex, self.paths, path)


@dataclass
class Adapter:
    platform: str
    title: str
    version: str
    expires: str
    homepage: str
    licence: str
    path: str
    endpoints: list[Endpoint]
    report: dict | None = None
    choice: list = field(default_factory=list)  # the `choice:` section's rules (choice.py)
    counterfactual: object = None  # choice.CounterfactualSpec: what a paired fetch may repeat
    raw: dict = field(default_factory=dict, repr=False)
    pack: tuple[str, str] = ("", "")  # (name, version): set by layers.stamp()


class _Compiler(SectionCompiler):
    """Turns one validated adapter Source into an Adapter, collecting `file:line` errors."""

    def __init__(self, source: Source):
        self.source = source
        self.errors: list[str] = []
        self.session = SessionSpec.of(source.data.get("session"), lambda text: self.expr(
            text, ("session", "viewer", "responses")))

    def expr(self, text: str, where: tuple) -> Expr | None:
        compiled, error = compile_expr(text)
        if error:
            self.errors.append(self.source.at(where, error))
        return compiled

    def fields(self, spec: dict, where: tuple) -> dict[str, Expr]:
        out = {}
        for name, text in (spec or {}).items():
            compiled = self.expr(text, where + (name,))
            if compiled is not None:
                out[name] = compiled
        return out

    def shape(self, spec: dict, where: tuple, base: ItemShape | None, outer: dict | None = None) -> ItemShape:
        fields = dict(base.fields) if base else {}
        fields.update(self.fields(spec.get("fields", {}), where + ("fields",)))
        if "id" not in fields:
            self.errors.append(self.source.at(where, "fields.id is required"))
        skip = self.expr(spec["skip"], where + ("skip",)) if "skip" in spec else (base.skip if base else None)
        # `mark:` of a find entry, else of its endpoint (`outer`), else the title or text field
        mark_where = where + ("mark",) if "mark" in spec or outer is None else where[:2] + ("mark",)
        targets, unmarked = mark_targets(
            spec.get("mark", (outer or {}).get("mark")), fields, self.expr,
            lambda spot, text: self.errors.append(self.source.at(spot, text)), mark_where)
        return ItemShape(kind=spec.get("kind", base.kind if base else "post"), fields=fields,
                         skip=skip, marks=targets, unmarked=unmarked,
                         format=self.facet("format", spec, where, outer),
                         relation=self.facet("relation", spec, where, outer))

    def containers(self, items, where: tuple) -> list[Expr]:
        out = []
        for index, text in enumerate([items] if isinstance(items, str) else items):
            spot = where if isinstance(items, str) else where + (index,)
            compiled = self.expr(text, spot)
            if compiled is None:
                continue
            if not is_container_path(compiled.ast):
                self.errors.append(self.source.at(spot, (
                    f"items path {text!r} may only use fields, indexes and [*] "
                    "(filters and flattening copy lists, so items could not be rewritten)")))
                continue
            out.append(compiled)
        return out

    def provenance(self, rules: list[dict], where: tuple, find_keys) -> list[ProvenanceRule]:
        out = []
        for index, rule in enumerate(rules):
            spot = where + (index,)
            is_default = "default" in rule
            if is_default and index != len(rules) - 1:
                self.errors.append(self.source.at(spot, "a default rule must be the last rule"))
            if rule.get("type") is not None and rule["type"] not in find_keys:
                self.errors.append(self.source.at(spot + ("type",), (
                    f"type {rule['type']!r} is not one of the items.find keys")))
            out.append(ProvenanceRule(
                index=index,
                provenance=rule["default"] if is_default else rule["is"],
                when=self.expr(rule["when"], spot + ("when",)) if "when" in rule else None,
                type=rule.get("type"),
                context=self.expr(rule["context"], spot + ("context",)) if "context" in rule else None,
                request=self.expr(rule["request"], spot + ("request",)) if "request" in rule else None,
                reason=self.expr(rule["reason"], spot + ("reason",)) if "reason" in rule else None,
                confidence=float(rule.get("confidence", 0.5 if is_default else 0.9)),
                label=rule.get("label"),
                why=rule.get("why"),
                is_default=is_default,
            ))
        if out and not out[-1].is_default:
            self.errors.append(self.source.at(where, "the last provenance rule must be a default"))
        return out

    def endpoint(self, spec: dict, index: int, platform: str, lang: str) -> Endpoint:
        where = ("endpoints", index)
        match = spec["match"]
        hosts = tuple(h.lower() for h in _as_list(match["host"]))
        regex = None
        if "path_regex" in match:
            try:
                regex = re.compile(match["path_regex"])
            except re.error as exc:
                self.errors.append(self.source.at(where + ("match", "path_regex"), f"bad regex: {exc}"))
        body = spec.get("body", "json")
        if body == "html" and not spec.get("embedded"):
            self.errors.append(self.source.at(where, "body: html needs an `embedded` list"))
        for i, entry in enumerate(spec.get("embedded", [])):
            if entry.get("encoding") == "js_string" and "assign" not in entry:
                self.errors.append(self.source.at(
                    where + ("embedded", i, "encoding"),
                    "encoding: js_string reads the string literal after an `assign` marker"))
        items = spec["items"]
        find: dict[str, ItemShape] = {}
        context: dict[str, Expr] = {}
        remove_emptied = None
        shape = (self.shape(spec, where, None) if "fields" in spec or not isinstance(items, dict)
                 else ItemShape("post", {}, None, format=self.facet("format", spec, where, None),
                                relation=self.facet("relation", spec, where, None)))
        if isinstance(items, dict):
            for key, sub in items["find"].items():
                find[key] = self.shape(sub, where + ("items", "find", key), shape, spec)
            context = self.fields(items.get("context", {}), where + ("items", "context"))
            if "remove_emptied" in items:
                remove_emptied = self.expr(items["remove_emptied"], where + ("items", "remove_emptied"))
            containers = []
        else:
            containers = self.containers(items, where + ("items",))
        shape.kind = spec.get("kind", shape.kind)
        for sub in find.values():
            if sub.kind == "post" and "kind" in spec:
                sub.kind = spec["kind"]
        parts = None
        if "parts" in spec:
            parts_path = self.expr(spec["parts"]["path"], where + ("parts", "path"))
            if parts_path is not None:
                parts = (parts_path, self.fields(spec["parts"].get("fields", {}), where + ("parts", "fields")))
        return Endpoint(
            platform=platform,
            name=spec["name"],
            surface=spec["surface"],
            body=body,
            hosts=hosts,
            paths=tuple(_as_list(match.get("path", []))),
            path_regex=regex,
            graphql=match.get("graphql"),
            methods=frozenset(m.upper() for m in _as_list(match.get("method", []))),
            request=self.expr(match["request"], where + ("match", "request")) if "request" in match else None,
            embedded=list(spec.get("embedded", [])),
            containers=containers,
            find=find,
            context=context,
            shape=shape,
            labels=[(e, rule["label"]) for i, rule in enumerate(spec.get("labels", []))
                    if (e := self.expr(rule["when"], where + ("labels", i, "when"))) is not None],
            parts=parts,
            provenance=self.provenance(spec["provenance"], where + ("provenance",), set(find)),
            dom=spec.get("dom"),
            lang=lang,
            source=f"{self.source.path}:{self.source.line(where)}",
            session=self.session,
            continuation=self.continuation(spec, where),
            remove_emptied=remove_emptied,
            placeholder=self.placeholder(spec, where),
        )

    def adapter(self) -> Adapter:
        data = self.source.data
        platform = data["platform"]
        lang = data.get("lang", "en")
        endpoints = [self.endpoint(spec, i, platform, lang) for i, spec in enumerate(data["endpoints"])]
        recalls = any(rule.recall for e in endpoints for shape in (e.shape, *e.find.values())
                      for rule in shape.format.rules)
        for endpoint in endpoints:
            endpoint.recalls_formats = recalls
        seen: set[str] = set()
        for i, endpoint in enumerate(endpoints):
            if endpoint.name in seen:
                self.errors.append(self.source.at(("endpoints", i, "name"),
                                                  f"duplicate endpoint name {endpoint.name!r}"))
            seen.add(endpoint.name)
        return Adapter(
            platform=platform, title=data["title"], version=str(data["version"]),
            expires=data["expires"], homepage=data["homepage"], licence=data["licence"],
            path=self.source.path, endpoints=endpoints, report=data.get("report"), raw=data,
            choice=self.choice(endpoints), counterfactual=self.counterfactual(endpoints))


def _as_list(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def compile_adapter(source: Source) -> Adapter:
    """Validate and compile one adapter; raises AdapterError with `file:line` messages."""
    errors = schema.validate(source, "adapter")
    if errors:
        raise AdapterError(errors)
    compiler = _Compiler(source)
    adapter = compiler.adapter()
    if compiler.errors:
        raise AdapterError(list(dict.fromkeys(compiler.errors)))
    return adapter


def load_adapter(path: str | Path) -> Adapter:
    try:
        source = load(path)
    except YamlError as exc:
        raise AdapterError([str(exc)]) from None
    return compile_adapter(source)


@dataclass
class AdapterSet:
    adapters: list[Adapter]
    errors: list[str]
    router: Router
    canary: Canary = field(default_factory=lambda: Canary([]))

    @property
    def endpoints(self) -> list[Endpoint]:
        return [e for a in self.adapters for e in a.endpoints]

    @classmethod
    def of(cls, adapters: list[Adapter], errors: list[str] | None = None) -> AdapterSet:
        """A set with its router built from the adapters' endpoints."""
        return cls(adapters=adapters, errors=errors or [],
                   router=Router([e for a in adapters for e in a.endpoints]),
                   canary=Canary([s for a in adapters if (s := shape_of(a)) is not None]))

    @cached_property
    def viewer_sources(self) -> dict[str, list[ViewerSource]]:
        """Responses that describe the viewer, by path (session.viewer.responses)."""
        found: dict[str, list[ViewerSource]] = {}
        for adapter in self.adapters:
            spec = adapter.endpoints[0].session if adapter.endpoints else None
            if spec is None or spec.viewer is None:
                continue
            shape = self.canary.by_platform.get(adapter.platform)
            hosts = shape.hosts if shape else tuple(sorted({h for e in adapter.endpoints for h in e.hosts}))
            for path, expr in spec.viewer.responses:
                if expr is not None:
                    found.setdefault(path, []).append(ViewerSource(adapter.platform, hosts, path, expr))
        return found

    def viewer_source(self, host: str, path: str) -> ViewerSource | None:
        return next((s for s in self.viewer_sources.get(path, ()) if s.serves(host.lower())), None)

    def by_platform(self, platform: str) -> Adapter | None:
        return next((a for a in self.adapters if a.platform == platform), None)


def load_adapters(paths: list[str | Path]) -> AdapterSet:
    """Load adapters from files and directories; bad files are reported, not fatal."""
    adapters, errors = [], []
    platforms: dict[str, str] = {}
    for path in _yaml_files(paths):
        try:
            adapter = load_adapter(path)
        except AdapterError as exc:
            errors.extend(exc.messages)
            continue
        if adapter.platform in platforms:
            errors.append(f"{path}:1: platform {adapter.platform!r} is already defined in "
                          f"{platforms[adapter.platform]}")
            continue
        platforms[adapter.platform] = str(path)
        adapters.append(adapter)
    return AdapterSet.of(adapters, errors)


def _yaml_files(paths) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.yaml") if p.is_file()))
        else:
            files.append(path)
    return files
