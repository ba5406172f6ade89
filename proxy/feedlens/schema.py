"""JSON Schemas for adapters, profiles and fixture cases, with `file:line` messages.

Every object is closed (`additionalProperties: false`): a misspelt key is an error, never a
section silently ignored. Features add their own sections through the registry below
(register_profile_part, register_adapter_part in schema_parts.py), called from feedlens/features.py, so this core
module imports no feature; a section whose feature is not installed is an unknown key.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator

from . import schema_messages
from .item_format import FORMATS, RELATIONS
from .schema_adapter import ADAPTER, ENDPOINT, PROVENANCES, _str_or_list  # noqa: F401 (API)
from .schema_parts import (Part, generation, parts, register_adapter_part,  # noqa: F401 (API)
                           register_profile_part)
from .yamlsrc import Source

ACTIONS = ["keep", "label", "blur", "warn", "hide", "move_to_end", "limit", "chronological",
           "allow_only"]

# A profile's title or description: one string for every language, or one per language
# (`{en: …, zh-CN: …}`; English required, it is what the rest falls back to).
LOCALIZED_LANGS = ["en", "zh-CN"]
_localized = {"oneOf": [
    {"type": "string"},
    {"type": "object", "required": ["en"], "additionalProperties": False,
     "properties": {lang: {"type": "string"} for lang in LOCALIZED_LANGS}},
]}
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
        "format": {"oneOf": [{"enum": list(FORMATS)}, {"type": "array", "items": {"enum": list(FORMATS)}}]},
        "relation": {"oneOf": [{"enum": list(RELATIONS)}, {"type": "array", "items": {"enum": list(RELATIONS)}}]},
        # seconds, where the platform gives a duration (an item without one never matches)
        "duration_s": {"type": "object", "minProperties": 1, "additionalProperties": False,
                       "properties": {"min": {"type": "integer", "minimum": 0},
                                      "max": {"type": "integer", "minimum": 0}}},
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
                "title", "text", "url", "published", "reason", "labels", "parts", "time", "format",
                "relation", "duration_s")
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
        # The earlier page a continuation case continues (continuations.py): run first, so the
        # tokens it issues are remembered for this case's request.
        "context": {
            "type": "object", "required": ["url", "body"], "additionalProperties": False,
            "properties": {"url": {"type": "string", "pattern": "^https?://"}, "method": {"type": "string"},
                           "request_body": {}, "body": {"type": "string"},
                           "request_headers": {"type": "object", "additionalProperties": {"type": "string"}}},
        },
        "expect": {
            "type": "object",
            "required": ["endpoint", "count"],
            "properties": {
                "endpoint": {"type": "string"},
                "count": {"type": "integer"},
                "provenance": {"type": "object", "additionalProperties": {"type": "integer"}},
                # counts of what the items are (docs/format.md): every item, by value
                "format": {"type": "object", "propertyNames": {"enum": list(FORMATS)},
                           "additionalProperties": {"type": "integer", "minimum": 1}},
                "relation": {"type": "object", "propertyNames": {"enum": list(RELATIONS)},
                             "additionalProperties": {"type": "integer", "minimum": 1}},
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
