"""Names-level facts about the request's session: is a viewer logged in?

The conventions (docs/adapters.md, "Session") decide `followed` versus `popular` on a ranking
front page from whether the request carries the platform's session. That is read from cookie
**names** and the `Authorization` header's **scheme** only: the values (session ids, tokens)
are dropped here, at the edge, and never reach the engine, a worker process or the item log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .viewer import ViewerSpec

NO_CONTEXT = "no request context: decided from the body and surface"


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the request's headers say, without their values. `known=False`: no headers at
    all (an offline body), so whether a viewer is logged in cannot be told."""

    known: bool = False
    cookies: tuple[str, ...] = ()
    auth: str | None = None  # the Authorization scheme, lower case: bearer, basic, …

    def as_context(self) -> dict:
        return {"known": self.known, "cookies": list(self.cookies), "auth": self.auth}


UNKNOWN = SessionFacts()


def cookie_names(header: str) -> list[str]:
    """The names in a Cookie header (`a=1; b=2` → [a, b]); values are dropped."""
    names = []
    for part in header.split(";"):
        name = part.split("=", 1)[0].strip()
        if name and name not in names:
            names.append(name)
    return names


def auth_scheme(header: str) -> str | None:
    """The scheme of an Authorization header (`Bearer abc` → bearer); the token is dropped."""
    scheme = header.strip().split(None, 1)[0] if header.strip() else ""
    return scheme.lower() or None


def from_headers(headers: Iterable[tuple[str, str]], extra_cookies: Iterable[str] = ()) -> SessionFacts:
    """Facts from (name, value) header pairs, e.g. mitmproxy's `headers.fields` decoded or
    the CLI's `--header`; `extra_cookies` are cookie names given as names."""
    cookies: list[str] = []
    auth = None
    for name, value in headers:
        key = name.strip().lower()
        if key == "cookie":
            cookies.extend(n for n in cookie_names(value) if n not in cookies)
        elif key == "authorization" and auth is None:
            auth = auth_scheme(value)
    cookies.extend(n for n in extra_cookies if n and n not in cookies)
    return SessionFacts(known=True, cookies=tuple(cookies), auth=auth)


def from_header_lines(lines: Iterable[str], cookie_names_csv: str | None) -> SessionFacts:
    """The command line's `--header NAME:VALUE` (repeatable) and `--cookie-names a,b`: UNKNOWN
    when neither is given. Raises ValueError for a header without a colon."""
    lines = list(lines)
    if not lines and cookie_names_csv is None:
        return UNKNOWN
    pairs = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"{line.split(':')[0].split('=')[0][:40]!r} is not NAME:VALUE")
        pairs.append((name, value))
    return from_headers(pairs, [n.strip() for n in (cookie_names_csv or "").split(",")])


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """An adapter's `session:` declaration: the cookie names and Authorization schemes that
    mean a viewer is logged in on this platform."""

    cookies: frozenset[str] = frozenset()
    auth: frozenset[str] = frozenset()
    viewer: ViewerSpec | None = None  # where the viewer's own id is read (feedlens.viewer)

    @classmethod
    def of(cls, data: dict | None, compile_expr=None) -> SessionSpec | None:
        """`compile_expr`: compiles the JMESPath of `viewer.responses` (the adapter compiler's)."""
        if not data:
            return None
        return cls(frozenset(data.get("cookies", ())), frozenset(a.lower() for a in data.get("auth", ())),
                   ViewerSpec.of(data.get("viewer"), compile_expr))

    def logged_in(self, facts: SessionFacts) -> bool | None:
        if not facts.known or not (self.cookies or self.auth):  # nothing declared: cannot tell
            return None
        return bool(self.cookies.intersection(facts.cookies)) or (facts.auth in self.auth)


def context(facts: SessionFacts, spec: SessionSpec | None) -> dict:
    """`session` in the request context: the facts, plus `logged_in` (true, false, or null when
    there were no headers or the adapter declares no session)."""
    return {**facts.as_context(), "logged_in": spec.logged_in(facts) if spec is not None else None}


def viewer_id(specs: Iterable[SessionSpec | None], headers: Iterable[tuple[str, str]]) -> str | None:
    """The viewer's own id by the first of `specs` (the candidate endpoints' sessions) that
    declares where to read it; None when none does or the request does not carry it."""
    headers = list(headers)
    for spec in specs:
        if spec is not None and spec.viewer is not None:
            return spec.viewer.read(headers)
    return None
