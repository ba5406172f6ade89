"""Turn jsonschema errors into `file:line: field: what is wrong (did you mean 'x'?)` messages.

An unknown key is reported at its own line, one message per key; an unknown enum value or
property name gets the closest allowed spelling, so `limit:` says "did you mean 'limits'?".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from jsonschema.exceptions import ValidationError

from .yamlsrc import Source


def messages(source: Source, errors: Iterable[ValidationError]) -> list[str]:
    """`file:line: message` for each error, sorted by line (document order)."""
    found: list[tuple[int, str]] = []
    for error in errors:
        for where, text in _explain(_most_specific(error)):
            found.append((source.line(where), source.at(where, text)))
    return [text for _, text in sorted(found)]


def suggestion(word: object, allowed: Iterable[object]) -> str:
    """` (did you mean 'limits'?)` when an allowed string is close to `word`, else ``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [a for a in allowed if isinstance(a, str)], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _most_specific(error: ValidationError) -> ValidationError:
    """Inside a oneOf/anyOf, the sub-error that says most: a deeper one, or at the same depth
    a wrong key or value rather than "not valid under any of the given schemas"."""
    if not error.context:
        return error
    relevant = [e for e in error.context if e.validator != "type"] or list(error.context)
    best = max(relevant, key=lambda e: (len(e.absolute_path), e.validator in _SPECIFIC))
    deeper = len(best.absolute_path) > len(error.absolute_path)
    if deeper or best.validator in _SPECIFIC:
        return _most_specific(best)
    return error


_SPECIFIC = ("additionalProperties", "enum")


def _explain(error: ValidationError) -> list[tuple[list, str]]:
    where = list(error.absolute_path)
    field = ".".join(str(p) for p in where) or "(top level)"
    if error.validator == "additionalProperties" and error.validator_value is False:
        return _unknown_keys(error, where, field)
    if error.validator == "enum":
        return [_bad_value(error, where, field)]
    return [(where, f"{field}: {error.message}")]


def _unknown_keys(error: ValidationError, where: list, field: str) -> list[tuple[list, str]]:
    allowed = list(error.schema.get("properties", {}))
    unknown = [key for key in error.instance if key not in allowed]
    return [(where + [key], f"{field}: unknown key {key!r}{suggestion(key, allowed)}")
            for key in unknown]


def _bad_value(error: ValidationError, where: list, field: str) -> tuple[list, str]:
    allowed = error.validator_value
    if "propertyNames" in error.schema_path:  # a key that must be one of a list: point at it
        where = where + [error.instance]
        what = f"unknown key {error.instance!r}"
    else:
        what = f"{error.instance!r} is not one of {', '.join(map(repr, allowed))}"
    return where, f"{field}: {what}{suggestion(error.instance, allowed)}"
