"""Who the viewer is, from what the platform already tells the client (provenance.md, "The
viewer's identity"): an id-naming cookie (Bilibili `DedeUserID`, X `twid`) or the subject of a
bearer token (a Bluesky access token's DID).

Only the declared identity is read, and only the user id in it: the id is not a secret (it is
what every post by the viewer shows as its author), while session cookies and tokens are. The
id stays in memory on the user's machine; the item log records the `own` mark, not the id.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import re2  # linear time: a pattern comes from rules data, which a subscription may bring


@dataclass(frozen=True, slots=True)
class ViewerSpec:
    """An adapter's `session.viewer:`: where the viewer's own user id can be read.

    `cookie`: the cookie whose value names the viewer (`pattern`'s first group picks the id
    out of it, after URL-decoding); `jwt_claim`: the claim of a bearer JWT that does."""

    cookie: str | None = None
    pattern: object = None  # a compiled re2 pattern
    jwt_claim: str | None = None
    # Responses that describe the viewer (Mastodon verify_credentials, Reddit /api/v1/me):
    # (path, JMESPath to the id); remembered per client in ViewerMemory.
    responses: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, data: dict | None, compile_expr=None) -> ViewerSpec | None:
        if not data:
            return None
        pattern = re2.compile(data["pattern"]) if data.get("pattern") else None
        responses = tuple((r["path"], compile_expr(r["id"])) for r in data.get("responses", ())
                          if compile_expr is not None)
        return cls(cookie=data.get("cookie"), pattern=pattern, jwt_claim=data.get("jwt_claim"),
                   responses=responses)

    @property
    def source(self) -> str:
        """Where the id came from, for the evidence (a name, never a value)."""
        if self.cookie:
            return f"cookie {self.cookie}"
        if self.jwt_claim:
            return f"bearer token claim {self.jwt_claim}"
        return "platform's description of the viewer (" + ", ".join(p for p, _ in self.responses) + ")"

    def read(self, headers: Iterable[tuple[str, str]]) -> str | None:
        """The viewer's id from (name, value) request header pairs, or None."""
        if not (self.cookie or self.jwt_claim):
            return None
        for name, value in headers:
            key = name.strip().lower()
            if key == "cookie" and self.cookie:
                found = self._from_cookie(value)
            elif key == "authorization" and self.jwt_claim:
                found = self._from_bearer(value)
            else:
                continue
            if found:
                return found
        return None

    def _from_cookie(self, header: str) -> str | None:
        for part in header.split(";"):
            name, sep, value = part.partition("=")
            if sep and name.strip() == self.cookie:
                value = unquote(value.strip().strip('"'))
                if self.pattern is None:
                    return value or None
                match = self.pattern.search(value)
                return match.group(1) if match else None
        return None

    def _from_bearer(self, header: str) -> str | None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        claims = jwt_claims(token.strip())
        value = claims.get(self.jwt_claim) if claims else None
        return value if isinstance(value, str) and value else None


def jwt_claims(token: str) -> dict | None:
    """The payload of a JWT, unverified: only read to learn who the token says the viewer is.
    Its signature is the platform's business; a forged token only fools its own sender."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 8192:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True, slots=True)
class ViewerSource:
    """A response that describes the viewer: on `hosts` (the platform's), at `path`."""

    platform: str
    hosts: tuple[str, ...]  # exact, *.suffix or *
    path: str
    id: object  # jmes.Expr

    def serves(self, host: str) -> bool:
        return any(h == "*" or h == host or (h.startswith("*.") and (host == h[2:] or host.endswith(h[1:])))
                   for h in self.hosts)

    def read(self, doc) -> str | None:
        value = self.id.search(doc)
        if isinstance(value, bool) or value is None:
            return None
        text = str(value)
        return text if 0 < len(text) <= 200 else None


class ViewerMemory:
    """The viewer's id per (client, platform), learned from responses; bounded, in memory."""

    def __init__(self, capacity: int = 1024):
        self.capacity = capacity
        self._ids: OrderedDict[tuple[str | None, str], str] = OrderedDict()

    def learn(self, client: str | None, platform: str, viewer: str) -> None:
        self._ids[(client, platform)] = viewer
        self._ids.move_to_end((client, platform))
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)

    def get(self, client: str | None, platform: str) -> str | None:
        return self._ids.get((client, platform))
