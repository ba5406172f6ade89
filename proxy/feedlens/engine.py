"""The feed engine: one response in, marked items and (maybe) a rewritten body out.

It never raises: malformed input, unexpected shapes and bugs in an adapter all come back as
an Outcome with `changed=False` and a reason, so the caller passes the original body through.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit

from . import embedded, fastjson, placeholder
from .adapters import AdapterSet, Endpoint
from .router import operation_claims
from .extract import build_item, locate
from .item_format import FormatMemory
from .canary import unclaimed_items
from .continuations import ContinuationMemory, issued_tokens, request_token
from .session import UNKNOWN, SessionFacts, SessionSpec, context as session_context, viewer_id
from .model import UNCLAIMED, Evidence, Item, Outcome
from .profiles import MARK_ONLY, Profile, decide
from .rewrite import prefix_titles, reorder

DEFAULT_BODY_CAP = 16 * 1024 * 1024
_BOM = codecs.BOM_UTF8


@dataclass
class Request:
    """What the engine needs to know about the request behind a response."""

    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = None
    # Names-level facts of the request headers (session.py): cookie names and the
    # Authorization scheme, never their values. UNKNOWN: no headers (an offline body).
    session: SessionFacts = UNKNOWN
    # The viewer's own user id, read where the request is read (viewer.py), for `own`.
    viewer: str | None = None
    # The endpoint that issued this request's continuation token (continuations.py), if known,
    # and whether `select` read the request with it (or its surface's API twin).
    parent: str | None = None
    inherited: bool = False

    @cached_property
    def _parts(self):
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return (self._parts.hostname or "").lower()

    @property
    def path(self) -> str:
        return self._parts.path or "/"

    @cached_property
    def context(self) -> dict:
        """The request as data, for `match.request` conditions and provenance `request` rules.
        `session.logged_in` needs the platform's declaration: see `context_for`."""
        return {"method": self.method.upper(), "host": self.host, "path": self.path,
                "query": dict(parse_qsl(self._parts.query, keep_blank_values=True)),
                "body": self._parsed_body(), "session": session_context(self.session, None),
                "viewer": self.viewer}

    def context_for(self, spec: SessionSpec | None) -> dict:
        """The context with `session.logged_in` decided by an adapter's `session:` declaration."""
        if spec is None:
            return self.context
        return {**self.context, "session": session_context(self.session, spec)}

    def _parsed_body(self):
        if not self.body:
            return None
        text = self.body.decode("utf-8", errors="replace")
        if "x-www-form-urlencoded" in (self.content_type or ""):
            return dict(parse_qsl(text, keep_blank_values=True))
        try:
            return fastjson.loads(text)[0]
        except ValueError:
            return None


def charset_of(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            try:
                return codecs.lookup(value.strip("\"' ")).name
            except LookupError:
                return "utf-8"
    return "utf-8"


class Engine:
    def __init__(self, adapters: AdapterSet, profile: Profile = MARK_ONLY, *,
                 body_cap: int = DEFAULT_BODY_CAP,
                 clock: Callable[[], datetime] = datetime.now):
        self.adapters = adapters
        self.profile = profile
        self.body_cap = body_cap
        self.clock = clock
        # formats of items seen with one, for the same item on a surface that cannot tell
        self.formats = FormatMemory()

    # -- routing (cheap; the proxy calls this before buffering a body) --------------------

    def candidates(self, method: str, host: str, path: str) -> list[Endpoint]:
        return self.adapters.router.route(method.upper(), host, path)

    def viewer(self, request: Request, headers, candidates: list[Endpoint] | None = None) -> str | None:
        """The viewer's own id in these request headers, where this request's platform says to
        read it (`session.viewer`). Callers put it on the Request; headers stay with them."""
        if candidates is None:
            candidates = self.candidates(request.method, request.host, request.path)
        return viewer_id((e.session for e in candidates), headers)

    def viewer_in(self, request: Request, body: bytes) -> str | None:
        """The viewer's id in a response that describes the viewer (`session.viewer.responses`),
        or None when this response is not one."""
        source = self.adapters.viewer_source(request.host, request.path)
        if source is None or len(body) > self.body_cap:
            return None
        return source.read(_json_or_none(body, None))

    def matching(self, request: Request, candidates: list[Endpoint] | None = None):
        """Every endpoint that claims this request, request conditions included. `candidates`:
        the router's answer for this request, when the caller already has it."""
        if candidates is None:
            candidates = self.candidates(request.method, request.host, request.path)
        for endpoint in candidates:
            if not operation_claims(endpoint.graphql, request.path, request.context["body"]):
                continue
            if endpoint.request is not None and not endpoint.request.holds(request.context_for(endpoint.session)):
                continue
            yield endpoint

    def select(self, request: Request, candidates: list[Endpoint] | None = None) -> Endpoint | None:
        """The endpoint for this request (adapters are tested to claim each URL once). A
        continuation whose token an earlier page issued goes to that page's endpoint."""
        if candidates is None:
            candidates = self.candidates(request.method, request.host, request.path)
        if request.parent is not None:
            parent = self._parent_among(request.parent, candidates)
            if parent is not None:
                request.inherited = True
                return parent
        return next(self.matching(request, candidates), None)

    def _parent_among(self, name: str, candidates: list[Endpoint]) -> Endpoint | None:
        """The endpoint that read page 1 when it serves this request too; else the one
        candidate of the same surface (page 1 was an HTML page, page 2 comes from the API)."""
        found = next((e for e in candidates if e.name == name), None)
        if found is not None or not candidates:
            return found
        adapter = self.adapters.by_platform(candidates[0].platform)
        first = next((e for e in adapter.endpoints if e.name == name), None) if adapter else None
        same = [e for e in candidates if first is not None and e.surface == first.surface]
        return same[0] if len(same) == 1 else None

    # -- continuations (the memory lives with the caller: one per proxy, per CLI run) --------

    def continuation_key(self, request: Request, candidates: list[Endpoint] | None = None):
        """(platform, token digest) of the continuation token this request carries, or None."""
        if candidates is None:
            candidates = self.candidates(request.method, request.host, request.path)
        for endpoint in candidates:
            key = request_token(endpoint.continuation, request.context_for(endpoint.session))
            if key is not None:
                return endpoint.platform, key
        return None

    def recall(self, memory: ContinuationMemory, client: str | None, request: Request,
               candidates: list[Endpoint] | None = None) -> None:
        """Set request.parent from the memory when the request continues a remembered page."""
        found = self.continuation_key(request, candidates)
        if found is not None:
            request.parent = memory.parent(client, found[0], found[1])

    @staticmethod
    def remember(memory: ContinuationMemory, client: str | None, outcome: Outcome) -> None:
        """Remember the tokens a page issued, with the endpoint that read it."""
        if outcome.tokens and outcome.endpoint not in (None, UNCLAIMED) and not outcome.error:
            memory.remember(client, outcome.platform, outcome.tokens, outcome.endpoint)

    # -- processing -------------------------------------------------------------------------

    def process(self, request: Request, body: bytes, content_type: str | None = None,
                endpoint: Endpoint | None = None, *, candidates: list[Endpoint] | None = None,
                profile: Profile | None = None) -> Outcome:
        """`profile` replaces the engine's own for this response only (a device's gate)."""
        try:
            endpoint = endpoint or self.select(request, candidates)
            if endpoint is None:
                return self._unclaimed(request, body, content_type)
            return _Pass(self, profile or self.profile, request).run(endpoint, body, content_type)
        except Exception as exc:  # fail open: the caller passes the original body on
            return Outcome(endpoint=getattr(endpoint, "name", None),
                           platform=getattr(endpoint, "platform", None),
                           reason="engine error", error=f"{type(exc).__name__}: {exc}")


    def _unclaimed(self, request: Request, body: bytes, content_type: str | None) -> Outcome:
        """No endpoint claims the request: is it a feed on one of a platform's hosts anyway?
        Then it is a coverage gap, counted with `unknown` placeholder items, never rewritten."""
        shape = self.adapters.canary.shape_for(request.host, request.path)
        if shape is None or len(body) > self.body_cap:
            return Outcome(reason="not a feed endpoint")
        count = shape.count(_json_or_none(body, content_type))
        if not count:
            return Outcome(reason="not a feed endpoint")
        return Outcome(endpoint=UNCLAIMED, platform=shape.platform, surface=UNCLAIMED,
                       items=unclaimed_items(shape, count, UNCLAIMED), unclaimed=count,
                       reason=f"no adapter for this surface: {count} feed-like items passed unchecked")


class _Pass:
    """One response through the engine, with the profile in force for it."""

    def __init__(self, engine: Engine, profile: Profile, request: Request):
        self.engine, self.profile, self.request = engine, profile, request

    def run(self, endpoint: Endpoint, body: bytes, content_type: str | None) -> Outcome:
        outcome = Outcome(endpoint=endpoint.name, platform=endpoint.platform, surface=endpoint.surface)
        if len(body) > self.engine.body_cap:
            outcome.reason = f"body of {len(body)} bytes is over the cap of {self.engine.body_cap}"
            return outcome
        charset = charset_of(content_type)
        bom = body.startswith(_BOM) and charset.startswith("utf")
        try:
            text = body[len(_BOM):].decode(charset) if bom else body.decode(charset)
        except UnicodeDecodeError as exc:
            outcome.reason = f"body is not valid {charset}: {exc.reason} at byte {exc.start}"
            return outcome
        if endpoint.body == "html":
            new_text = self._process_html(endpoint, text, charset, outcome)
            new_body = None if new_text is None else _encode(new_text, charset)
        else:  # UTF-8 bytes go to the parser as they are: no second UTF-8 copy of the text
            raw = (body[len(_BOM):] if bom else body) if charset == "utf-8" else text
            new_body = self._process_json(endpoint, raw, text, charset, outcome)
        if new_body is not None:
            outcome.changed = True
            outcome.body = (_BOM if bom else b"") + new_body
        return outcome

    def _process_json(self, endpoint: Endpoint, raw: bytes | str, text: str, charset: str,
                      outcome: Outcome) -> bytes | None:
        try:
            doc, fast = fastjson.loads(raw, constants=False)
        except ValueError as exc:
            outcome.reason = f"body is not JSON: {exc}"
            return None
        if not isinstance(doc, (dict, list)):
            outcome.reason = "JSON body is not an object or array"
            return None
        if not self._handle(endpoint, doc, outcome, start=0, text=text):
            self._check_format(endpoint, doc, outcome)
            return None
        written = fastjson.dumps(doc) if fast and charset == "utf-8" else None
        if written is not None:
            return written
        try:
            new_text = _dumps(doc, ascii_only=not _is_unicode(charset))
        except ValueError:  # 1e400 was read as inf: written back as `Infinity`, the page would break
            _kept_as_sent(outcome, "body has a number past a float's range: passed as sent")
            return None
        return _encode(new_text, charset)

    def _check_format(self, endpoint: Endpoint, doc, outcome: Outcome) -> None:
        """A claimed endpoint found no items in a body that looks like a feed: its format changed."""
        shape = self.engine.adapters.canary.by_platform.get(endpoint.platform)
        if outcome.items or shape is None:
            return
        outcome.unclaimed = shape.count(doc)
        if outcome.unclaimed:
            outcome.reason = (f"format change? the endpoint found no items in a body with "
                              f"{outcome.unclaimed} feed-like items")

    def _process_html(self, endpoint: Endpoint, text: str, charset: str, outcome: Outcome) -> str | None:
        spans = embedded.find_spans(text, endpoint.embedded)
        if not spans:
            outcome.reason = "no embedded feed data found in the page"
            return None
        replacements, read = [], 0
        for span in spans:
            try:
                doc, fast = embedded.read(text, span)
            except ValueError:  # a malformed literal: no embedded data there (fail open)
                continue
            read += 1
            # tokens are looked up in the page's text only where it holds the JSON as written
            source = text if span.encoding == "json" else None
            if self._handle(endpoint, doc, outcome, start=len(outcome.items), text=source):
                replacements.append((span, embedded.encode(doc, span, not _is_unicode(charset), fast)))
        if not read:
            outcome.reason = "no embedded feed data found in the page"
        return embedded.replace(text, replacements) if replacements else None

    def _handle(self, endpoint: Endpoint, doc, outcome: Outcome, start: int, text: str | None = None) -> bool:
        """Extract, classify, decide and rewrite one document (`text`: the body it was parsed
        from, where continuation tokens are looked up fast). Returns whether it changed."""
        outcome.tokens.extend(k for k in issued_tokens(endpoint.continuation, doc, text) if k not in outcome.tokens)
        located = locate(endpoint, doc)
        made_here = ([placeholder.is_placeholder(endpoint.placeholder, loc.node) for loc in located]
                     if endpoint.placeholder is not None and placeholder.may_hold_one(text) else [])
        if any(made_here):  # a body that passed feedlens before: its placeholder is not an item
            located = [loc for loc, made in zip(located, made_here) if not made]
        request = self.request.context_for(endpoint.session)
        formats = self.engine.formats
        items = [build_item(endpoint, loc, start + i, request, formats) for i, loc in enumerate(located)]
        if self.request.inherited:
            for item in items:
                item.evidence.append(Evidence(path="request.continuation", source="request",
                                              value="a later page of a page this endpoint read"))
        self._decide(items)
        outcome.items.extend(items)
        if not items:
            return False
        emptied = ([] if any(made_here) or not self.profile.keep_paging
                   else placeholder.plan(endpoint.placeholder, located, items))
        changed = prefix_titles(located, items, self.profile, endpoint.lang)
        changed = reorder(located, items) or changed
        if emptied and placeholder.apply(endpoint.placeholder, emptied, doc, len(items), endpoint.lang,
                                         seed="|".join(i.id or "" for i in items)):
            outcome.placeholders += 1
            changed = True
        return changed

    def _decide(self, items: list[Item]) -> None:
        if not self.profile.rules:
            return
        for item, decision in zip(items, decide(self.profile, items, self.engine.clock())):
            item.decision = decision.action
            item.decision_rule = decision.rule
            item.chronological = decision.chronological
            item.label_text = decision.label_text


def _json_or_none(body: bytes, content_type: str | None):
    try:
        return fastjson.loads(body.decode(charset_of(content_type), errors="replace").lstrip("\ufeff"))[0]
    except ValueError:
        return None


def _kept_as_sent(outcome: Outcome, why: str) -> None:
    """The body passes as it arrived after all: its items were shown as they were."""
    for item in outcome.items:
        item.decision, item.decision_rule, item.label_text, item.chronological = "keep", None, None, False
    outcome.placeholders = 0
    outcome.reason = why


def _is_unicode(charset: str) -> bool:
    return charset.startswith("utf")


def _dumps(doc, ascii_only: bool) -> str:
    return json.dumps(doc, ensure_ascii=ascii_only, separators=(",", ":"), allow_nan=False)


def _encode(text: str, charset: str) -> bytes:
    return text.encode(charset, errors="xmlcharrefreplace" if not _is_unicode(charset) else "strict")

