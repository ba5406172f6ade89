"""The JSON Schema of adapter files (rules/platforms/*.yaml); feedlens.schema validates with it."""

from __future__ import annotations

from .choice_schema import CHOICE
from .item_format import FORMATS, RELATIONS, facet_schema

PROVENANCES = ["followed", "personalized", "popular", "promoted", "search", "own", "unknown"]
_expr = {"type": "string", "minLength": 1}
_str_or_list = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

_fields = {
    "type": "object",
    "properties": {
        name: _expr
        for name in ("id", "kind", "author_id", "author", "title", "text", "url", "published",
                     "reposted_by_id", "duration", "duration_ms")
    },
    "additionalProperties": False,
}
# Page 2+ (continuations.py): `issued` finds the tokens a page issues in its body, `token` the
# token a request carries in the request context. At the adapter's top level or per endpoint;
# an endpoint's `continuation: none` opts out of the adapter's.
CONTINUATION = {"oneOf": [
    {"type": "object", "required": ["issued", "token"], "additionalProperties": False,
     "properties": {"issued": _expr, "token": _expr,
                    # with `find`, `issued` applies to each object under this key, anywhere
                    "find": {"type": "string", "minLength": 1}}},
    {"const": "none"},
]}
# The card left on a page the rules emptied (placeholder.py): `set` item paths to values
# ({message} and {hidden} are filled in), `drop` item paths, `when` a condition on the page
# saying it has a next page. At the adapter's top level or per endpoint (`none` opts out).
PLACEHOLDER = {"oneOf": [
    {"type": "object", "additionalProperties": False, "minProperties": 1,
     "properties": {"set": {"type": "object", "minProperties": 1},
                    "drop": {"type": "array", "items": _expr},
                    "when": _expr}},
    {"const": "none"},
]}
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
# Where an item's mark (a profile's prefix, a rule's label text) is written (marks.py): the
# visible text, as a field of the item (title | text) or a path, in the platform's markup; a
# list marks several texts; `{none: why}` says why items of this shape carry no mark.
# Default: the title field when the shape has one, else the text field, plain.
MARKUPS = ["plain", "html", "facets", "entities", "text_extra", "attributed", "rich_text"]
_mark_target = {
    "type": "object",
    "properties": {"field": {"enum": ["title", "text"]}, "path": _expr, "markup": {"enum": MARKUPS}},
    "additionalProperties": False,
    "oneOf": [{"required": ["field"]}, {"required": ["path"]}],
}
MARK = {"oneOf": [
    _mark_target,
    {"type": "array", "minItems": 1, "items": _mark_target},
    {"type": "object", "required": ["none"], "additionalProperties": False,
     "properties": {"none": {"type": "string", "minLength": 1}}},
]}
# What the item is (item_format.py, docs/format.md): per find entry, endpoint or adapter.
FORMAT = facet_schema(FORMATS)
RELATION = facet_schema(RELATIONS)
_find_entry = {
    "type": "object",
    "properties": {"kind": {"type": "string"}, "fields": _fields, "skip": _expr, "mark": MARK,
                   "format": FORMAT, "relation": RELATION},
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
                # a condition on list elements that enclose items (an X conversation module):
                # when every item found inside one is hidden, the element is removed too
                "remove_emptied": _expr,
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
        "body": {"enum": ["json", "html"]},
        "format": FORMAT,
        "relation": RELATION,
        "embedded": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "assign": {"type": "string", "minLength": 1},
                    "script_id": {"type": "string", "minLength": 1},
                    # js_string: a JavaScript string literal after an `assign` marker
                    # (embedded.py, jsstring.py): YouTube's mobile `var ytInitialData = '\\x7b…'`
                    "encoding": {"enum": ["json", "urlencoded", "js_string"]},
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
        "mark": MARK,
        "labels": {"type": "array", "items": _label_rule},
        "parts": {
            "type": "object",
            "required": ["path"],
            "properties": {"path": _expr, "fields": _fields},
            "additionalProperties": False,
        },
        "provenance": {"type": "array", "minItems": 1, "items": _provenance_rule},
        "dom": _dom,
        "continuation": CONTINUATION,
        "placeholder": PLACEHOLDER,
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
            "properties": {
                **{k: {"type": "array", "items": {"type": "string", "minLength": 1}}
                   for k in ("cookies", "auth")},
                # Where the viewer's own user id is read (viewer.py): an id-naming cookie (its
                # value, or `pattern`'s first group) or a claim of a bearer JWT.
                "viewer": {
                    "type": "object", "additionalProperties": False, "minProperties": 1,
                    "not": {"required": ["cookie", "jwt_claim"]},
                    "properties": {
                        "cookie": {"type": "string", "minLength": 1},
                        "pattern": {"type": "string", "minLength": 1},
                        "jwt_claim": {"type": "string", "minLength": 1},
                        # responses that describe the viewer: an exact path and the id in it
                        "responses": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["path", "id"], "additionalProperties": False,
                            "properties": {"path": {"type": "string", "pattern": "^/"}, "id": _expr}}},
                    },
                },
            },
        },
        "continuation": CONTINUATION,
        "placeholder": PLACEHOLDER,
        # every endpoint's format and relation unless it (or a find entry) says its own
        "format": FORMAT,
        "relation": RELATION,
        "endpoints": {"type": "array", "minItems": 1, "items": ENDPOINT},
        "choice": CHOICE,  # where the personalisation switch shows on the wire (choice.py)
    },
    "additionalProperties": False,
}
