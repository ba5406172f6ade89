"""JSON Schemas for adapters, profiles and fixture cases, with `file:line` messages.

Every object is closed (`additionalProperties: false`): a misspelt key is an error, never a
section silently ignored. Features add their own sections through the registry below
(register_profile_part, register_adapter_part in schema_parts.py), called from feedlens/features.py, so this core
module imports no feature; a section whose feature is not installed is an unknown key.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator

from . import schema_messages
from .schema_parts import (Part, generation, parts, register_adapter_part,  # noqa: F401 (API)
                           register_profile_part)
from .yamlsrc import Source

PROVENANCES = ["followed", "personalized", "popular", "promoted", "search", "own", "unknown"]
ACTIONS = ["keep", "label", "blur", "warn", "hide", "move_to_end", "limit", "chronological",
           "allow_only"]

_str_or_list = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_expr = {"type": "string", "minLength": 1}
# A profile's title or description: one string for every language, or one per language
# (`{en: …, zh-CN: …}`; English required, it is what the rest falls back to).
LOCALIZED_LANGS = ["en", "zh-CN"]
_localized = {"oneOf": [
    {"type": "string"},
    {"type": "object", "required": ["en"], "additionalProperties": False,
     "properties": {lang: {"type": "string"} for lang in LOCALIZED_LANGS}},
]}
_fields = {
    "type": "object",
    "properties": {
        name: _expr
        for name in ("id", "kind", "author_id", "author", "title", "text", "url", "published")
    },
    "additionalProperties": False,
}
_label_rule = {
    "type": "object",
    "required": ["when", "label"],
    "properties": {"when": _expr, "label": {"type": "string"}},
    "additionalProperties": False,
}
_provenance_rule = {
    "type": "object",
    "properties": {
        "when": _expr,
        "type": {"type": "string"},
        "context": _expr,
        "request": _expr,  # a condition on the request context (session.logged_in, query, …)
        "is": {"enum": PROVENANCES},
        "default": {"enum": PROVENANCES},
        "reason": _expr,
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "label": {"type": "string"},
        "why": {"type": "string"},
    },
    "additionalProperties": False,
    "oneOf": [
        {"required": ["is"], "anyOf": [{"required": [k]} for k in ("when", "type", "context", "request")],
         "not": {"required": ["default"]}},
        {"required": ["default"], "not": {"anyOf": [{"required": [k]} for k in ("is", "when", "request")]}},
    ],
}
_find_entry = {
    "type": "object",
    "properties": {"kind": {"type": "string"}, "fields": _fields, "skip": _expr},
    "additionalProperties": False,
}
_items = {
    "oneOf": [
        _expr,
        {"type": "array", "items": _expr, "minItems": 1},
        {
            "type": "object",
            "required": ["find"],
            "properties": {
                "find": {"type": "object", "minProperties": 1, "additionalProperties": _find_entry},
                "context": {"type": "object", "additionalProperties": _expr},
            },
            "additionalProperties": False,
        },
    ]
}
_dom = {
    "type": "object",
    "required": ["item"],
    "properties": {
        "item": {"type": "string"},
        "id": {
            "type": "object",
            "properties": {
                "selector": {"type": "string"},
                "attr": {"type": "string"},
                "regex": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "author": {"type": "string"},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "url_pattern": {"type": "string"},
    },
    "additionalProperties": False,
}
ENDPOINT = {
    "type": "object",
    "required": ["name", "match", "surface", "items", "provenance"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
        "description": {"type": "string"},
        "match": {
            "type": "object",
            "required": ["host"],
            "properties": {
                "host": _str_or_list,
                "path": _str_or_list,
                "path_regex": {"type": "string"},
                "graphql": {"type": "string"},
                "method": _str_or_list,
                "request": _expr,
            },
            "additionalProperties": False,
            "oneOf": [
                {"required": ["path"]},
                {"required": ["path_regex"]},
                {"required": ["graphql"]},
            ],
        },
        "format": {"enum": ["json", "html"]},
        "embedded": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "assign": {"type": "string", "minLength": 1},
                    "script_id": {"type": "string", "minLength": 1},
                    "encoding": {"enum": ["json", "urlencoded"]},
                },
                "additionalProperties": False,
                "oneOf": [{"required": ["assign"]}, {"required": ["script_id"]}],
            },
        },
        "surface": {"type": "string"},
        "kind": {"type": "string"},
        "items": _items,
        "skip": _expr,
        "fields": _fields,
        "labels": {"type": "array", "items": _label_rule},
        "parts": {
            "type": "object",
            "required": ["path"],
            "properties": {"path": _expr, "fields": _fields},
            "additionalProperties": False,
        },
        "provenance": {"type": "array", "minItems": 1, "items": _provenance_rule},
        "dom": _dom,
    },
    "additionalProperties": False,
}

ADAPTER = {
    "type": "object",
    "required": ["title", "platform", "version", "expires", "homepage", "licence", "endpoints"],
    "properties": {
        "title": {"type": "string"},
        "platform": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "version": {"type": ["string", "number"]},
        "expires": {"type": "string"},
        "homepage": {"type": "string"},
        "licence": {"type": "string"},
        "description": {"type": "string"},
        "lang": {"type": "string"},
        # Web hosts showing the feeds, for the browser extension (extension/build.py); needed
        # when the endpoints match any host.
        "pages": {"type": "array", "minItems": 1,
                  "items": {"type": "string", "pattern": r"^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$"}},
        # The unclaimed-feed canary (canary.py): how this platform's items look, so a feed on
        # its hosts that no endpoint claims is counted as a coverage gap.
        "feed_like": {
            "type": "object", "required": ["keys"], "additionalProperties": False,
            "properties": {
                "keys": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                "min_items": {"type": "integer", "minimum": 2},
                "hosts": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "paths": {"type": "array", "minItems": 1,
                          "items": {"type": "string", "pattern": "^/"}},
            },
        },
        # What "logged in" means here (session.py): cookie names and Authorization schemes
        # that carry a user's session; provenance `request:` rules test session.logged_in.
        "session": {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {k: {"type": "array", "items": {"type": "string", "minLength": 1}}
                           for k in ("cookies", "auth")},
        },
        "endpoints": {"type": "array", "minItems": 1, "items": ENDPOINT},
    },
    "additionalProperties": False,
}

_category_id = {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$"}
# Weighted phrase lists (rules/phrases/*.yaml): the item's score per category must reach threshold.
_phrases_condition = {
    "type": "object",
    "required": ["categories", "threshold"],
    "properties": {
        "categories": {"type": "array", "items": _category_id, "minItems": 1},
        "threshold": {"type": "integer", "minimum": 1},
    },
    "additionalProperties": False,
}

_condition: dict = {
    "type": "object",
    "properties": {
        "provenance": {"oneOf": [{"enum": PROVENANCES}, {"type": "array", "items": {"enum": PROVENANCES}}]},
        "platform": _str_or_list,
        "surface": _str_or_list,
        "kind": _str_or_list,
        "endpoint": _str_or_list,
        "author": {"oneOf": [{"type": ["string", "integer"]}, {"type": "array", "items": {"type": ["string", "integer"]}}]},
        "keywords": _str_or_list,
        "regex": _str_or_list,
        "labels": _str_or_list,
        "time": {"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"},
        "phrases": _phrases_condition,
        "any": {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1},
        "not": {"$ref": "#/$defs/condition"},
    },
    "additionalProperties": False,
}
# An inline case is an item (profiles.case_item): Item fields plus provenance and a clock time.
_CASE_FIELDS = ("platform", "endpoint", "surface", "position", "id", "kind", "author_id", "author",
                "title", "text", "url", "published", "reason", "labels", "parts", "time")
_case_item = {
    "type": "object",
    "properties": {"provenance": {"enum": PROVENANCES}, **{name: {} for name in _CASE_FIELDS}},
    "additionalProperties": False,
}

PROFILE = {
    "$defs": {"condition": _condition},
    "type": "object",
    "required": ["title", "version", "rules"],
    "properties": {
        "title": _localized,
        "version": {"type": ["string", "number"]},
        "description": _localized,
        "expires": {"type": "string"},
        "homepage": {"type": "string"},
        "licence": {"type": "string"},
        "locked": {"type": "boolean"},
        "mark": {
            "type": "object",
            "properties": {
                "title_prefix": {"enum": ["off", "labelled", "all"]},
                "prefixes": {
                    "type": "object",
                    "propertyNames": {"enum": PROVENANCES},
                    "additionalProperties": {"type": "string"},
                },
            },
            "additionalProperties": False,
        },
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "action"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"},
                    "description": {"type": "string"},
                    "when": {"$ref": "#/$defs/condition"},
                    "unless": {"$ref": "#/$defs/condition"},
                    "action": {"enum": ACTIONS},
                    "max": {"type": "integer", "minimum": 0},
                    "text": {"type": "string"},
                    "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}"},
                    "source": {"type": "string"},
                    "cases": {
                        "type": "object",
                        "properties": {
                            "match": {"type": "array", "items": _case_item},
                            "no_match": {"type": "array", "items": _case_item},
                        },
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,  # features add sections with register_profile_part
}

CASE = {
    "type": "object",
    "required": ["url", "expect"],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "method": {"type": "string"},
        "request_body": {},
        # Request headers, read names-level only (cookie names, Authorization scheme).
        "request_headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"type": "string"},
        "content_type": {"type": "string"},
        "description": {"type": "string"},
        "expect": {
            "type": "object",
            "required": ["endpoint", "count"],
            "properties": {
                "endpoint": {"type": "string"},
                "count": {"type": "integer"},
                "provenance": {"type": "object", "additionalProperties": {"type": "integer"}},
                "items": {"type": "array", "items": {"type": "object"}},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

_phrase_case = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "text": {"type": "string"},
                   "author": {"type": "string"}, "min": {"type": "integer"},
                   "max": {"type": "integer"}},
    "additionalProperties": False,
    "anyOf": [{"required": ["min"]}, {"required": ["max"]}],
}
_weights = {"type": "object", "additionalProperties": {"type": "integer", "minimum": -100,
                                                       "maximum": 100, "not": {"const": 0}}}

PHRASES = {
    "type": "object",
    "required": ["title", "category", "version", "expires", "homepage", "licence", "phrases"],
    "properties": {
        "title": {"type": "string"},
        "category": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"},
        "version": {"type": ["string", "number"]},
        "expires": {"type": "string"},
        "homepage": {"type": "string"},
        "licence": {"type": "string"},
        "description": {"type": "string"},
        "source": {"type": "string"},
        "names": {"type": "object", "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
                  "additionalProperties": False},
        "phrases": {"type": "object", "propertyNames": {"enum": ["zh", "en"]},
                    "additionalProperties": _weights, "minProperties": 1},
        "cases": {"type": "array", "items": _phrase_case},
    },
    "additionalProperties": False,
}

# ---- composing the schemas with the sections features registered -----------------------

_validators: dict[tuple[str, int], Draft202012Validator] = {}


def _with_parts(core: dict, sections: dict[str, Part]) -> dict:
    clash = core["properties"].keys() & sections.keys()
    if clash:
        raise ValueError(f"registered sections {sorted(clash)} are core keys")
    return {**core, "properties": {**core["properties"],
                                   **{key: part.schema for key, part in sections.items()}}}


def _schema(kind: str) -> dict:
    if kind == "profile":
        return _with_parts(PROFILE, parts("profile"))
    if kind == "adapter":
        endpoint = _with_parts(ENDPOINT, parts("adapter"))
        adapter = _with_parts(ADAPTER, parts("adapter"))
        adapter["properties"]["endpoints"] = {**ADAPTER["properties"]["endpoints"], "items": endpoint}
        return adapter
    return {"case": CASE, "phrases": PHRASES}[kind]


def _validator(kind: str) -> Draft202012Validator:
    key = (kind, generation())  # a registration since the last build makes a new validator
    if key not in _validators:
        _validators[key] = Draft202012Validator(_schema(kind))
    return _validators[key]


def validate(source: Source, kind: str) -> list[str]:
    """Schema errors as `file:line: message`, in document order; when there are none, the
    registered sections' own checks (e.g. a curfew that starts when it ends)."""
    errors = schema_messages.messages(source, _validator(kind).iter_errors(source.data))
    if errors:
        return errors
    data = source.data if isinstance(source.data, dict) else {}
    return [message for key, part in parts(kind).items()
            if part.check is not None and key in data for message in part.check(source)]
