"""Observe a platform's personalisation switch on the wire: an adapter's `choice:` section.

Compiled with the adapter (adapters.py calls `compile_choice`); a ChoiceBook routes a flow to
the rules that read it and turns what they read into Observations. Core produces them; the
feature that watches them (feedlens.choices) registers in feedlens.hooks and never changes
the traffic. Only the value a rule reads reaches an Observation (cut short), never a cookie or
token: the schema refuses those headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .choice_schema import TOKEN_PARAMS
from .jmes import Expr, summarize
from .router import Router, operation_claims, path_claims
from .textmatch import UnsafePattern, compile_regex

DEFAULT_CHOICE = "personalised_recommendation"
SURE_BY_KIND = {"flag": "confirmed", "readback": "confirmed", "marker": "suspected",
                "setting_write": "confirmed"}


@dataclass(frozen=True, slots=True)
class Observation:
    """One reading of the switch. `state` None: a settings write whose new value is unknown."""

    platform: str
    choice: str
    rule: str
    kind: str
    sure: str
    state: str | None
    evidence: dict = field(default_factory=dict)
    declare: str = "optional"  # required: watched only once the user declared their choice


@dataclass(slots=True)
class ChoiceRule:
    """One `observe:` entry, for one endpoint (or its own match): the router reads its
    hosts/paths/path_regex/graphql/methods like an endpoint's."""

    platform: str
    choice: str
    name: str
    kind: str
    sure: str
    side: str  # request | response
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    path_regex: re.Pattern | None
    graphql: str | None
    methods: frozenset[str]
    request: Expr | None
    read: Expr | None
    regex: object | None
    means: dict[str, str]
    constant: str | None
    headers: tuple[str, ...]
    declare: str = "optional"  # the section's `declare:`

    def path_matches(self, path: str) -> bool:
        return path_claims(self.graphql, self.path_regex, self.paths, path)

    def claims(self, context: dict) -> bool:
        """Request conditions: the GraphQL operation named in a POST body, `request:`."""
        if not operation_claims(self.graphql, context["path"], context.get("body")):
            return False
        return self.request is None or self.request.holds(context)

    def observe(self, data, where: dict) -> Observation | None:
        if self.constant is not None or self.read is None:
            state, value = self.constant, None
        else:
            value = _value(self.read.search(data), self.regex)
            state = self.means.get(value) if value is not None else None
            if state is None and self.kind != "setting_write":
                return None  # a value this rule does not know: no observation
        evidence = {**where, "rule": self.name, "from": self.side}
        if self.read is not None:
            evidence.update(read=self.read.source, value=summarize(value))
        return Observation(self.platform, self.choice, self.name, self.kind, self.sure, state,
                           evidence, self.declare)


def _text(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def _value(found, regex) -> str | None:
    text = _text(found)
    if text is None or regex is None:
        return text
    match = regex.search(text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)


def compile_choice(data: dict | None, platform: str, endpoints: list,
                   expr: Callable[[str, tuple], Expr | None],
                   error: Callable[[tuple, str], None]) -> list[ChoiceRule]:
    """The `choice:` section (already valid against choice_schema.CHOICE) as rules."""
    if data is None:
        return []
    if "observe" not in data and "counterfactual" not in data:
        error(("choice",), "give `observe:` rules, a `counterfactual:` entry, or both")
    by_name = {e.name: e for e in endpoints}
    choice, out = data.get("name", DEFAULT_CHOICE), []
    for index, spec in enumerate(data.get("observe", [])):
        where = ("choice", "observe", index)
        common = _common(spec, platform, choice, data.get("declare", "optional"), where, expr, error)
        if common is None:
            continue
        for name in spec.get("endpoints", []):
            endpoint = by_name.get(name)
            if endpoint is None:
                error(where + ("endpoints",), f"no endpoint named {name!r} in this adapter")
                continue
            out.append(ChoiceRule(**common, hosts=endpoint.hosts, paths=endpoint.paths,
                                  path_regex=endpoint.path_regex, graphql=endpoint.graphql,
                                  methods=endpoint.methods, request=endpoint.request))
        if "match" in spec:
            out.append(_own_match(spec["match"], common, where + ("match",), expr, error))
    return [rule for rule in out if rule is not None]


@dataclass(frozen=True, slots=True)
class CounterfactualSpec:
    """`choice.counterfactual`: the feed endpoints an opt-in paired fetch without the user's
    login may repeat (feedlens.choices.counterfactual). GET and JSON only: it sends no body.
    `query`: the only query parameters it keeps."""

    choice: str
    endpoints: frozenset[str]
    query: frozenset[str] = frozenset()


def compile_counterfactual(data: dict | None, endpoints: list,
                           error: Callable[[tuple, str], None]) -> CounterfactualSpec | None:
    if not data or "counterfactual" not in data:
        return None
    section, by_name, names = data["counterfactual"], {e.name: e for e in endpoints}, []
    query = section.get("query", [])
    for index, name in enumerate(query):
        if any(word in name.lower() for word in TOKEN_PARAMS):
            error(("choice", "counterfactual", "query", index),
                  f"query parameter {name!r} looks like a token, session or device id: never sent")
    for index, name in enumerate(section["endpoints"]):
        where, endpoint = ("choice", "counterfactual", "endpoints", index), by_name.get(name)
        if endpoint is None:
            error(where, f"no endpoint named {name!r} in this adapter")
        elif endpoint.methods != frozenset({"GET"}):
            error(where, f"endpoint {name!r} must match GET only: a counterfactual repeats a GET")
        elif endpoint.body != "json":
            error(where, f"endpoint {name!r} serves {endpoint.body}: a counterfactual reads JSON")
        else:
            names.append(name)
    if not names:
        return None
    return CounterfactualSpec(data.get("name", DEFAULT_CHOICE), frozenset(names), frozenset(query))


def _common(spec, platform, choice, declare, where, expr, error) -> dict | None:
    kind = spec["kind"]
    sure = spec.get("sure", SURE_BY_KIND[kind])
    if kind == "marker" and sure == "confirmed":
        error(where + ("sure",), "a response marker is never confirmed, only suspected")
        return None
    if ("is" in spec) == ("read" in spec) and kind != "setting_write":
        error(where, "give either `read:` (with `means:`) or `is:`")
        return None
    if "read" in spec and "means" not in spec and kind != "setting_write":
        error(where, "`read:` needs `means:` (which value is which state)")
        return None
    regex = None
    if "regex" in spec:
        try:
            regex = compile_regex(spec["regex"])
        except UnsafePattern as exc:
            error(where + ("regex",), str(exc))
            return None
    read = expr(spec["read"], where + ("read",)) if "read" in spec else None
    if "read" in spec and read is None:
        return None
    side = spec.get("from", "response" if kind in ("readback", "marker") else "request")
    return dict(platform=platform, choice=choice, name=spec["name"], kind=kind, sure=sure,
                side=side, read=read, regex=regex, constant=spec.get("is"),
                means={_text(k) or str(k): v for k, v in spec.get("means", {}).items()},
                headers=tuple(spec.get("headers", ())), declare=declare)


def _own_match(match, common, where, expr, error) -> ChoiceRule | None:
    regex = None
    if "path_regex" in match:
        try:
            regex = re.compile(match["path_regex"])
        except re.error as exc:
            error(where + ("path_regex",), f"bad regex: {exc}")
            return None
    request = expr(match["request"], where + ("request",)) if "request" in match else None
    return ChoiceRule(**common, hosts=tuple(h.lower() for h in _as_list(match["host"])),
                      paths=tuple(_as_list(match.get("path", []))), path_regex=regex,
                      graphql=None, request=request,
                      methods=frozenset(m.upper() for m in _as_list(match.get("method", []))))


def _as_list(value) -> list:
    return list(value) if isinstance(value, list) else [value]


def choice_sections(adapters) -> dict[str, str]:
    """Each platform with a `choice:` section, and its `declare:` (required or optional). A
    platform with only a `counterfactual:` entry shows nothing on the wire: the user's
    declaration is the only way its choice is watched, so it counts as required."""
    found: dict[str, str] = {}
    for adapter in adapters:
        for rule in adapter.choice:
            found[rule.platform] = rule.declare
        if getattr(adapter, "counterfactual", None) is not None and adapter.platform not in found:
            found[adapter.platform] = "required"
    return dict(sorted(found.items()))


class ChoiceBook:
    """Every adapter's choice rules, routed by (method, host, path) like feed endpoints."""

    def __init__(self, rules: list[ChoiceRule]):
        self.rules = rules
        self.router = Router(rules)

    @classmethod
    def of(cls, adapters) -> ChoiceBook:
        return cls([rule for adapter in adapters for rule in adapter.choice])

    def route(self, method: str, host: str, path: str) -> list[ChoiceRule]:
        return self.router.route(method.upper(), host.lower(), path) if self.rules else []

    @staticmethod
    def on_request(rules: list[ChoiceRule], request: dict) -> tuple[list[Observation], list[ChoiceRule]]:
        """The observations the request itself gives, and the rules waiting for its response.
        `request`: method, host, path, query (a string), body (parsed or None), headers."""
        context = request_context(request)
        claimed = [rule for rule in rules if rule.claims(context)]
        where = {"method": context["method"], "host": context["host"], "path": context["path"]}
        found = []
        for rule in claimed:
            if rule.side == "request":
                data = {**context, "headers": {h: request["headers"].get(h) for h in rule.headers}}
                if (observation := rule.observe(data, where)) is not None:
                    found.append(observation)
        return first_each(found), [rule for rule in claimed if rule.side == "response"]

    @staticmethod
    def on_response(rules: list[ChoiceRule], doc, where: dict) -> list[Observation]:
        return first_each([o for rule in rules if (o := rule.observe(doc, where)) is not None])


def request_context(request: dict) -> dict:
    return {"method": request["method"].upper(), "host": request["host"].lower(),
            "path": request["path"], "body": request.get("body"),
            "query": dict(parse_qsl(request.get("query") or "", keep_blank_values=True))}


def first_each(observations: list[Observation]) -> list[Observation]:
    """One observation per (platform, choice, sureness) of one request or response: the first
    rule's (rules are listed in order of trust), so two signals of one request (Bilibili's query
    flag and user-agent suffix) count as one observation, not a run of two."""
    seen, out = set(), []
    for observation in observations:
        key = (observation.platform, observation.choice, observation.sure)
        if key not in seen:
            seen.add(key)
            out.append(observation)
    return out
