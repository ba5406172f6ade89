"""Strict parsing of request bodies and query strings: unknown names and wrong types are 400."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .. import jsonin
from .config import CONFIG
from .errors import ApiError

Converter = Callable[[str], Any]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # profile names: no dots, no slashes

INPUT_SECONDS = 10.0  # parsing and validating one request's input (a profile: ~50 ms)

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
               dict: "an object", list: "an array"}


# ---- bodies --------------------------------------------------------------------------------

async def json_body(request: web.Request, fields: dict[str, type],
                    required: frozenset[str] = frozenset()) -> dict:
    """The body as a dict with only `fields`, each of its declared type."""
    if request.content_type != "application/json":
        raise ApiError(415, "request body must be JSON (Content-Type: application/json)",
                       code="body_not_json_type")
    limit = request.app[CONFIG].max_body  # init_app gives aiohttp the same limit
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"request body over {limit} bytes", code="body_too_large",
                       params={"limit": limit})
    raw = await request.read()  # raises 413 itself for chunked bodies over the limit
    data = await off_loop(parse_json, raw)
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object", code="body_not_object")
    check_fields(data, fields, required)
    return data


def parse_json(raw: bytes) -> object:
    """An untrusted body as JSON (nesting bounded); ApiError 400 saying what is wrong."""
    try:
        return jsonin.loads(raw)
    except jsonin.JsonError as exc:
        if jsonin.depth(raw) > jsonin.MAX_DEPTH:
            raise ApiError(400, f"request body nests deeper than {jsonin.MAX_DEPTH} levels",
                           code="body_too_deep", params={"limit": jsonin.MAX_DEPTH}) from None
        raise ApiError(400, f"request body is not valid JSON: {exc}", code="body_not_json",
                       params={"reason": str(exc)}) from None


async def off_loop(func, *args, timeout: float = INPUT_SECONDS):
    """`func(*args)` in a thread, so parsing and validating input never stalls the event loop
    the proxy shares; past `timeout` the request is refused (400). The limits of the YAML and
    JSON loaders bound the work, so the thread left behind after a timeout ends too."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(func, *args), timeout)
    except TimeoutError:
        raise ApiError(400, f"checking the input took longer than {timeout:g} s; nothing was changed",
                       code="input_timeout", params={"seconds": f"{timeout:g}"}) from None


def check_fields(data: dict, fields: dict[str, type], required: frozenset[str]) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = {"fields": ", ".join(unknown), "allowed": ", ".join(sorted(fields))}
        raise ApiError(400, "unknown field(s): {fields}; allowed: {allowed}".format(**names),
                       code="unknown_field", params=names)
    missing = sorted(required - set(data))
    if missing:
        raise ApiError(400, f"missing field(s): {', '.join(missing)}", code="missing_field",
                       params={"fields": ", ".join(missing)})
    for name, value in data.items():
        if not _is_type(value, fields[name]):
            raise ApiError(400, f"field {name!r} must be {_TYPE_NAMES[fields[name]]}")


def _is_type(value, expected: type) -> bool:
    if isinstance(value, bool) and expected is not bool:  # JSON true is not a number
        return False
    if expected is float:
        return isinstance(value, (int, float))
    return isinstance(value, expected)


# ---- query strings -------------------------------------------------------------------------

def query(request: web.Request, spec: dict[str, Converter],
          required: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Parsed query parameters; unknown, repeated, missing or malformed ones are 400."""
    params = request.query
    unknown = sorted(set(params) - set(spec))
    if unknown:
        names = {"names": ", ".join(unknown), "allowed": ", ".join(sorted(spec))}
        raise ApiError(400, "unknown query parameter(s): {names}; allowed: {allowed}".format(**names),
                       code="unknown_query", params=names)
    out: dict[str, Any] = {}
    for name, convert in spec.items():
        values = params.getall(name, [])
        if len(values) > 1:
            raise ApiError(400, f"query parameter {name!r} given more than once")
        if not values:
            if name in required:
                raise ApiError(400, f"missing query parameter {name!r}")
            continue
        try:
            out[name] = convert(values[0])
        except ValueError as exc:
            raise ApiError(400, f"query parameter {name!r}: {exc}") from None
    return out


def integer(low: int, high: int) -> Converter:
    def convert(text: str) -> int:
        if not re.fullmatch(r"\d{1,18}", text):
            raise ValueError(f"{text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value
    return convert


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number (unix seconds)") from None
    if not math.isfinite(value):
        raise ValueError("must be finite")
    return value


def text(max_length: int = 128) -> Converter:
    def convert(value: str) -> str:
        if not value or len(value) > max_length:
            raise ValueError(f"must be 1 to {max_length} characters")
        return value
    return convert


def choice(allowed: tuple[str, ...]) -> Converter:
    def convert(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return convert


def id_list(max_count: int, max_length: int = 128) -> Converter:
    def convert(value: str) -> list[str]:
        ids = [part for part in value.split(",") if part]
        if not ids:
            raise ValueError("needs at least one id")
        if len(ids) > max_count:
            raise ValueError(f"at most {max_count} ids per request")
        if any(len(i) > max_length for i in ids):
            raise ValueError(f"ids are at most {max_length} characters")
        return list(dict.fromkeys(ids))
    return convert


def profile_name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ApiError(400, f"bad profile name {value!r}: letters, digits, '-' and '_' "
                            "(at most 64), starting with a letter or digit")
    return value
