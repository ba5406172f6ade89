"""The `report:` section of an adapter: its JSON Schema and the checks a schema cannot express.

The schema (REPORT_SCHEMA) joins the adapter schema through reports/plugin.py, so a malformed
section makes the adapter fail to load with `file:line` messages, like any other mistake.
`check_report()` adds what needs the category list: unknown category ids, a category mapped
twice, categories an API kind leaves unmapped. Format: docs/reports.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..jmes import compile_expr
from ..yamlsrc import YamlError, load
from .categories import Category
from .filters import FILTERS

# {item.FIELD} {item.FIELD|filter} {target.NAME} {reason} {reason.NAME} {description} {cookie:NAME}
PLACEHOLDER = re.compile(
    r"\{(?:item\.(?P<item>[a-z_]+)(?:\|(?P<filter>[a-z0-9_]+))?"
    r"|target\.(?P<target>[A-Za-z0-9_]+)"
    r"|(?P<reason>reason)(?:\.(?P<param>[A-Za-z0-9_]+))?"
    r"|(?P<description>description)"
    r"|cookie:(?P<cookie>[A-Za-z0-9_]+))\}")
_filters = "|".join(FILTERS)
_field_template = (r"^(?:[^{}]|\{(?:item\.[a-z_]+(?:\|(?:" + _filters + r"))?|target\.[A-Za-z0-9_]+"
                   r"|reason(?:\.[A-Za-z0-9_]+)?|description|cookie:[A-Za-z0-9_]+)\})*$")
# A manual page: a fixed https URL, or one built from the item (`{item.url}`, `…?rid={item.id}`).
_url_template = (r"^(?:https://|\{item\.url\})(?:[^{}\s]|\{(?:item\.[a-z_]+(?:\|(?:" + _filters
                 + r"))?|target\.[A-Za-z0-9_]+)\})*$")
CATEGORY_REF = r"^(?:cn\.(?:illegal|bad|act|ad)|minors|dsa)\.(?:[a-z][a-z0-9_]*|\*)$"

_text = {"type": "string", "minLength": 1}
_code = {"type": ["integer", "string"]}
_codes = {"type": "array", "items": _code, "minItems": 1}
_refs = {"type": "array", "items": {"type": "string", "pattern": CATEGORY_REF}, "minItems": 1,
         "uniqueItems": True}
_reason = {
    "type": "object",
    "required": ["code", "label"],
    "properties": {
        "code": _code,                 # what {reason} becomes
        "label": _text,                # the platform's own wording
        "zh": _text,                   # optional translations of the label
        "en": _text,
        "params": {"type": "object", "additionalProperties": _code},   # {reason.NAME}
        "categories": _refs,           # category ids, or GROUP.* for a whole group
        "default": {"const": True},    # the reason for every category not listed anywhere
    },
    "additionalProperties": False,
}
_reasons = {"type": "array", "items": _reason, "minItems": 1}
_manual_url = {"type": "string", "pattern": _url_template}
_result = {
    "type": "object",
    "required": ["code", "ok"],
    "properties": {
        "code": _text,                 # JMESPath to the answer code in the JSON body
        "message": _text,              # JMESPath to the platform's message
        "ok": _codes,
        "duplicate": _codes,
        "rate_limited": _codes,
    },
    "additionalProperties": False,
}
_api_kind = {
    "type": "object",
    "required": ["method", "url", "fields", "result", "reasons"],
    "properties": {
        "mode": {"const": "api"},
        "method": {"enum": ["POST", "GET"]},
        "url": {"type": "string", "pattern": r"^https://[^{}\s]+$"},
        "origin": {"type": "string", "pattern": r"^https://[^/{}\s]+$"},
        "encoding": {"enum": ["form", "json"]},
        "fields": {"type": "object", "minProperties": 1,
                   "additionalProperties": {"type": "string", "pattern": _field_template}},
        "result": _result,
        "reasons": _reasons,
        "manual": _refs,               # categories finished on the manual page instead
        "manual_url": _manual_url,
        "note": _text,
    },
    "additionalProperties": False,
}
_manual_kind = {
    "type": "object",
    "required": ["mode"],
    "properties": {
        "mode": {"const": "manual"},
        "manual_url": _manual_url,
        "reasons": _reasons,           # the platform's menu, so the picker can name the choice
        "note": _text,
    },
    "additionalProperties": False,
}
REPORT_SCHEMA = {
    "type": "object",
    "required": ["manual_url"],
    "properties": {
        "manual_url": {"type": "string", "pattern": r"^https://[^{}\s]+$"},
        "note": _text,
        "kinds": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-z][a-z0-9_-]*$"},
            "additionalProperties": {
                "if": {"type": "object", "required": ["mode"],
                       "properties": {"mode": {"const": "manual"}}},
                "then": _manual_kind,
                "else": _api_kind,
            },
        },
    },
    "additionalProperties": False,
}


def is_api(spec: dict) -> bool:
    return spec.get("mode", "api") == "api"


def match_reason(spec: dict, category: Category) -> tuple[str, dict | None]:
    """How a kind handles a category: ("reason", entry) | ("manual", None) | ("none", None).

    An exact id wins over a GROUP.* entry, which wins over the `default` reason.
    """
    reasons = spec.get("reasons", [])
    manual = spec.get("manual", [])
    for wanted in (category.id, f"{category.group}.*"):
        for entry in reasons:
            if wanted in entry.get("categories", ()):
                return "reason", entry
        if wanted in manual:
            return "manual", None
    default = next((entry for entry in reasons if entry.get("default")), None)
    if default is not None:
        return "reason", default
    return ("none", None) if is_api(spec) else ("manual", None)


def check_report(adapter, categories: list[Category]) -> list[str]:
    """Problems with an adapter's report section as `file:line: message` (empty when fine)."""
    section = adapter.report
    if not section:
        return []
    try:
        source = load(adapter.path)
        where_of = source.at
    except (YamlError, OSError):
        def where_of(_where, message, path=adapter.path):
            return f"{path}:1: {message}"
    known = {c.id for c in categories}
    groups = {c.group for c in categories}
    errors: list[str] = []
    for kind, spec in (section.get("kinds") or {}).items():
        base = ("report", "kinds", kind)
        errors.extend(_check_refs(spec, base, known, groups, where_of))
        errors.extend(_check_params(spec, base, where_of))
        if is_api(spec):
            errors.extend(_check_result(spec, base, where_of))
            unmapped = [c.id for c in categories if match_reason(spec, c)[0] == "none"]
            if unmapped:
                errors.append(where_of(base + ("reasons",), (
                    f"kind {kind!r}: categories without a reason: {', '.join(unmapped)} "
                    "(list them under a reason or `manual`, or add a `default: true` reason)")))
    return errors


def _check_refs(spec, base, known, groups, where_of) -> list[str]:
    errors, seen = [], {}
    lists = [(("reasons", i, "categories"), r.get("categories", []))
             for i, r in enumerate(spec.get("reasons", []))]
    lists.append((("manual",), spec.get("manual", [])))
    for path, refs in lists:
        for j, ref in enumerate(refs):
            spot = base + path + (j,)
            if ref.endswith(".*") and ref[:-2] not in groups:
                errors.append(where_of(spot, f"unknown category group {ref!r}"))
            elif not ref.endswith(".*") and ref not in known:
                errors.append(where_of(spot, f"unknown category {ref!r} (see rules/categories.yaml)"))
            if ref in seen:
                errors.append(where_of(spot, f"category {ref!r} is mapped twice (also at {seen[ref]})"))
            seen.setdefault(ref, ".".join(str(p) for p in path))
    defaults = [i for i, r in enumerate(spec.get("reasons", [])) if r.get("default")]
    for i in defaults[1:]:
        errors.append(where_of(base + ("reasons", i, "default"), "more than one default reason"))
    return errors


def _check_params(spec, base, where_of) -> list[str]:
    """Every {reason.NAME} used in the fields must be in every reason's params."""
    errors = []
    for name, template in (spec.get("fields") or {}).items():
        for match in PLACEHOLDER.finditer(template):
            param = match.group("param")
            if not param:
                continue
            for i, entry in enumerate(spec.get("reasons", [])):
                if param not in (entry.get("params") or {}):
                    errors.append(where_of(base + ("reasons", i), (
                        f"field {name!r} uses {{reason.{param}}} but this reason has no "
                        f"params.{param}")))
    return errors


def _check_result(spec, base, where_of) -> list[str]:
    errors = []
    for key in ("code", "message"):
        text = spec["result"].get(key)
        if text is not None and compile_expr(text)[1]:
            errors.append(where_of(base + ("result", key), compile_expr(text)[1]))
    return errors


def rules_dir_of(adapter) -> Path | None:
    """The rules directory an adapter file sits in (…/rules/platforms/x.yaml -> …/rules)."""
    path = Path(adapter.path)
    candidate = path.parent.parent
    return candidate if (candidate / "categories.yaml").exists() else None


def check_rules_dirs(targets: list[Path], adapters: list) -> list[str]:
    """`feedlens rules check`'s part: each adapter's report section against the categories of
    the rules dir being checked (nothing when there is none)."""
    from .categories import categories_file, load_categories

    for target in targets:
        # A rules dir, its platforms/ dir, or one adapter file in it.
        for root in (target, target.parent, target.parent.parent):
            if categories_file(root).is_file():
                try:
                    categories = load_categories(root)
                except ValueError as exc:
                    return [str(exc)]
                return [problem for adapter in adapters for problem in check_report(adapter, categories)]
    return []
