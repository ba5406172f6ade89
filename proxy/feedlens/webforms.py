"""The browser-facing checks shared by the local service's dashboard (feedlens.service) and the
study server's admin page (feedlens.study), which the layers keep from importing each other.

A form is ours when its Origin is ours, or, when the browser hides the origin (`Origin: null`
or none), when `Sec-Fetch-Site` says same-origin (no page can set that header). Each form
carries a CSRF value: an HMAC of a secret the page's credentials stand for, bound to the form's
action path, so a value taken from one form cannot post another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable


def secret_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def split_host(value: str) -> tuple[str, int | None] | None:
    """`host[:port]` (IPv6 in brackets) as (lowercase host, port); None when malformed."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([^:\[\]/]+)(?::(\d{1,5}))?", value)
    if match is None:
        return None
    host = match.group(1) or match.group(3)
    port = match.group(2) or match.group(4)
    return host.lower(), int(port) if port else None


def csrf_value(secret: str, action: str) -> str:
    return hmac.new(secret.encode(), b"form:" + action.encode(), hashlib.sha256).hexdigest()


def same_origin_form(origin: str | None, fetch_site: str | None,
                     is_own: Callable[[str], bool]) -> bool:
    """Whether a form POST comes from one of our own pages (`is_own` judges an origin)."""
    if origin is not None and origin != "null":
        return is_own(origin)
    return fetch_site == "same-origin"
