"""The JSON Schema of an adapter's `choice:` section (feedlens.choice compiles it).

Where a platform's personalisation switch can be observed on the wire, as data: each rule says
which requests or responses (`endpoints:` names of this adapter, or a `match:` of its own),
where to read (`from:` the request or the response; `read:` JMESPath, `regex:` its first
group), what each value means, what kind of signal it is and how sure it is. `declare:
required` says the wire shows which state the feed is in but not the user's own change (X's
home tabs): the watchdog then holds the platform only to a choice the user declared.

Where nothing shows on the wire (Douyin, Weibo, Zhihu, Xiaohongshu), `counterfactual:` names the
feed endpoints the opt-in counterfactual check may fetch again without the user's login
(feedlens.choices.counterfactual); a section may have only that.
"""

from __future__ import annotations

STATES = ["personalised", "not_personalised"]
KINDS = ["flag", "readback", "marker", "setting_write"]
DECLARE = ["required", "optional"]
# Never readable by a rule: they carry the user's session, not a choice.
SECRET_HEADERS = ["cookie", "authorization", "proxy-authorization", "x-csrf-token", "x-csrftoken",
                  "x-access-token", "x-auth-token"]
# Query parameters whose name holds one of these words carry a session, a signature or a device
# id: a counterfactual fetch never sends them (choice.compile_counterfactual refuses them in
# `query:`, feedlens.choices.counterfactual drops them from any URL).
TOKEN_PARAMS = ("token", "key", "csrf", "sign", "session", "auth", "ticket", "passport", "uid",
                "gsid", "webid", "verifyfp", "device_id", "bogus")
_expr = {"type": "string", "minLength": 1}
_str_or_list = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}

_match = {
    "type": "object", "required": ["host"], "additionalProperties": False,
    "properties": {"host": _str_or_list, "path": _str_or_list, "path_regex": {"type": "string"},
                   "method": _str_or_list, "request": _expr},
    "oneOf": [{"required": ["path"]}, {"required": ["path_regex"]}],
}

RULE = {
    "type": "object", "required": ["name", "kind"], "additionalProperties": False,
    "oneOf": [{"required": ["endpoints"]}, {"required": ["match"]}],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "kind": {"enum": KINDS},
        "endpoints": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "match": _match,
        "from": {"enum": ["request", "response"]},
        "headers": {"type": "array", "items": {
            "type": "string", "pattern": "^[a-z0-9-]+$", "not": {"enum": SECRET_HEADERS}}},
        "read": _expr,
        "regex": {"type": "string", "minLength": 1},
        "means": {"type": "object", "minProperties": 1, "additionalProperties": {"enum": STATES}},
        "is": {"enum": STATES},  # the state whenever the rule matches (X's two home timelines)
        "sure": {"enum": ["confirmed", "suspected"]},
        "why": {"type": "string"},
        "source": {"type": "string"},  # where the field name was checked (docs/coverage.md)
    },
}

COUNTERFACTUAL = {
    "type": "object", "required": ["endpoints"], "additionalProperties": False,
    "properties": {
        "endpoints": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        # the query parameters the paired fetch keeps (a list of what may go); default: none
        "query": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}},
        "why": {"type": "string"},
        "source": {"type": "string"},
    },
}

CHOICE = {
    "type": "object", "additionalProperties": False,  # observe, counterfactual or both (choice.py)
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "declare": {"enum": DECLARE},  # default optional
        "observe": {"type": "array", "minItems": 1, "items": RULE},
        "counterfactual": COUNTERFACTUAL,  # endpoints a paired anonymous fetch may repeat
    },
}
