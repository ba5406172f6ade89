"""Page 2 and later belong to the surface of the page that issued their token (provenance.md,
"Parameters choose the surface").

A continuation request often carries nothing but an opaque token (YouTube's `continuation`, a
`cursor`): the request alone cannot say whether it continues the home feed, a trending tab or
a channel. So when a page passes, the tokens it issues are remembered with the endpoint that
read it (`ContinuationMemory`, bounded, per client, in memory, expiring), and a later request
that carries one is read by that endpoint. A token nobody remembers is not guessed: the
adapter's continuation endpoint marks by what the body shows, else `unknown` with the reason
"continuation of an unseen page".

Tokens are kept as short digests, never as text: they can embed ids and positions.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A page issues a handful of tokens (next page, a few shelves' "show more"); keep no more.
MAX_TOKENS_PER_PAGE = 16
MAX_TOKEN_CHARS = 16 * 1024
DEFAULT_CAPACITY = 4096      # remembered tokens, over every client
DEFAULT_TTL = 2 * 60 * 60    # seconds: an infinite scroll left open for an afternoon still works
UNSEEN = "continuation of an unseen page"


MAX_NODES = 50_000  # JSON nodes walked per body when tokens are found by key


@dataclass(frozen=True, slots=True)
class ContinuationSpec:
    """An endpoint's `continuation:`. `issued`: a JMESPath on the response body giving the
    token(s) the page issues — or, with `find`, on every object held under the key `find`
    anywhere in the body (YouTube's `continuationCommand`, wherever a renderer puts it);
    `token`: a JMESPath on the request context giving the token a request carries
    (`body.continuation`, `query.cursor`)."""

    issued: object  # jmes.Expr
    token: object   # jmes.Expr
    find: str | None = None


def token_key(token: str) -> str:
    return hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def issued_tokens(spec: ContinuationSpec | None, doc, text: str | None = None) -> list[str]:
    """The digests of the tokens a page issues (at most MAX_TOKENS_PER_PAGE). With `find`, the
    holders are looked up in `text` (the JSON the doc was parsed from) when given: a search in
    C plus a parse of each small holder costs a fraction of walking the parsed document."""
    if spec is None:
        return []
    if spec.find is not None:
        holders = _held_under_text(text, spec.find) if text is not None else _held_under(doc, spec.find)
        values = [spec.issued.search(holder) for holder in holders]
    else:
        found = spec.issued.search(doc)
        values = found if isinstance(found, list) else [found]
    keys = []
    for value in _flatten(values):
        if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_CHARS:
            key = token_key(value)
            if key not in keys:
                keys.append(key)
        if len(keys) >= MAX_TOKENS_PER_PAGE:
            break
    return keys


def request_token(spec: ContinuationSpec | None, context: dict) -> str | None:
    """The digest of the token this request carries, or None."""
    if spec is None:
        return None
    value = spec.token.search(context)
    if isinstance(value, str) and 0 < len(value) <= MAX_TOKEN_CHARS:
        return token_key(value)
    return None


_DECODER = json.JSONDecoder()
_COLON = re.compile(r"\s*:\s*")


def _held_under_text(text: str, key: str) -> list:
    """Every JSON value held under `"key":` in the text, in order (at most MAX_TOKENS_PER_PAGE)."""
    needle, found, start = f'"{key}"', [], 0
    while len(found) < MAX_TOKENS_PER_PAGE:
        at = text.find(needle, start)
        if at < 0:
            break
        start = at + len(needle)
        colon = _COLON.match(text, start)
        if colon is None:
            continue
        try:
            value, _ = _DECODER.raw_decode(text, colon.end())
        except ValueError:  # not JSON after all (a string that mentions the key): skip it
            continue
        found.append(value)
    return found


def _held_under(doc, key: str) -> list:
    """Every value held under `key` in the body, breadth-first, within MAX_NODES nodes."""
    found, queue, seen = [], deque([doc]), 0
    while queue and seen < MAX_NODES and len(found) < MAX_TOKENS_PER_PAGE:
        node = queue.popleft()
        seen += 1
        if isinstance(node, dict):
            if key in node:
                found.append(node[key])
            queue.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            queue.extend(v for v in node if isinstance(v, (dict, list)))
    return found


def _flatten(values: Iterable) -> Iterable:
    for value in values:
        if isinstance(value, list):
            yield from _flatten(value)
        else:
            yield value


class ContinuationMemory:
    """token digest → the endpoint that issued it, per client and platform; least recently
    used first out, and nothing older than `ttl` seconds is answered."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, ttl: float = DEFAULT_TTL,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self._entries: OrderedDict[tuple, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, client: str | None, platform: str, keys: Iterable[str], endpoint: str) -> None:
        now = self.clock()
        for key in keys:
            entry = (client, platform, key)
            self._entries[entry] = (endpoint, now)
            self._entries.move_to_end(entry)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def parent(self, client: str | None, platform: str, key: str | None) -> str | None:
        """The endpoint that issued this token to this client, if remembered and fresh."""
        if key is None:
            return None
        entry = (client, platform, key)
        found = self._entries.get(entry)
        if found is None:
            return None
        endpoint, when = found
        if self.clock() - when > self.ttl:
            del self._entries[entry]
            return None
        self._entries.move_to_end(entry)
        return endpoint
