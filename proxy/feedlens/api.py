"""The library API: what the proxy does to one response, for Python code (saved captures,
research, benchmarks). The command line's `classify` uses it.

    from feedlens import Classifier
    classifier = Classifier(profile="no-ads")        # a name, a Profile, a profile file, None
    result = classifier.process(url, body)           # method=, request_body=, headers=, content_type=
    for item in result.items:
        print(item.provenance, item.format, item.relation, item.title, item.decision)
    sent = result.body if result.body is not None else body   # what the proxy would send
    outcome, new_raw = classifier.process_sent(Request("GET", url), raw, "gzip", "application/json")

`process_sent` takes the body as it came over the wire (its Content-Encoding) and gives back
the new one encoded the same way, or None to send the original bytes: what the proxy's add-on
and its worker processes call (a Classifier is a feedlens.classifier.ResponseClassifier).

A Classifier loads its rules and profile once and keeps one engine for every call (as the proxy
does: an item's format seen on one surface is remembered for the next). It fails open as the
proxy does: whatever goes wrong inside, `process` returns a result with `error` set and
`body` None (send the original), never an exception; only bad arguments raise (TypeError,
ValueError: an unknown profile name lists the available ones).

The result is a feedlens.model.Outcome: `items` (feedlens.model.Item, `to_dict()` for JSON:
provenance with its evidence, docs/provenance.md; format and relation with their signal or
reason, docs/format.md; the profile's decision), `body` (the rewritten body, or None when the
response passes unchanged, e.g. with a mark-only profile), `reason`, `error`, `endpoint`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from . import features, layers, paths
from .adapters import AdapterSet
from .classifier import ResponseClassifier
from .clierror import profile_names
from .engine import Engine, Request  # noqa: F401 (Request: API, for process_sent)
from .model import Item, Outcome  # noqa: F401 (API)
from .profiles import MARK_ONLY, Profile, load_profile
from .session import from_headers


@cache
def adapters(rules: str | None = None) -> AdapterSet:
    """The adapters of a rules directory (default: the shipped ones), loaded once."""
    features.install()  # the shipped adapters carry feature sections (report:)
    return layers.load_layers(Path(rules) if rules else None).adapter_set()  # with the user's packs


def resolve_profile(profile: Profile | str | os.PathLike | None, rules: str | None = None) -> Profile:
    """A Profile from a Profile, a profile name (`no-ads`, `default`: the user's layer first,
    then the rules), a profile file, or None (mark only). ValueError for an unknown name (the
    available ones listed) or an invalid profile (ProfileError); TypeError for anything else."""
    if profile is None:
        return MARK_ONLY
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, (str, os.PathLike)):
        raise TypeError(f"profile must be a Profile, a name or a path, not {type(profile).__name__}")
    rules_dir = Path(rules) if rules else None
    path = paths.resolve_profile(os.fspath(profile), rules_dir)
    if path.is_file():
        return load_profile(path)
    if os.fspath(profile) == MARK_ONLY.name:
        return MARK_ONLY
    if path.suffix in (".yaml", ".yml") and path.name != f"{os.fspath(profile)}.yaml":
        raise ValueError(f"no such profile file: {path}")  # a path was meant, not a name
    raise ValueError(f"unknown profile {os.fspath(profile)!r}; available: {', '.join(profile_names(rules_dir))}")


class Classifier(ResponseClassifier):
    """Marks (and, with a profile, rewrites) responses as the proxy would; see the module."""

    def __init__(self, profile: Profile | str | os.PathLike | None = None,
                 rules: str | os.PathLike | None = None):
        if rules is not None and not isinstance(rules, (str, os.PathLike)):
            raise TypeError(f"rules must be a rules directory's path, not {type(rules).__name__}")
        rules = os.fspath(rules) if rules is not None else None
        super().__init__(Engine(adapters(rules), resolve_profile(profile, rules)))

    @property
    def errors(self) -> list[str]:
        """Problems loading the adapters (those adapters are left out), as `rules check` says."""
        return list(self.engine.adapters.errors)

    def process(self, url: str, body: bytes, *, method: str = "GET", request_body: bytes | None = None,
                headers: dict[str, str] | None = None, content_type: str | None = None) -> Outcome:
        """One response. `headers` are the request's: only cookie names and the Authorization
        scheme are read. `content_type` is the response's (its charset is kept)."""
        _check(url=(url, str), method=(method, str), content_type=(content_type, (str, type(None))))
        _check(body=(body, (bytes, bytearray, memoryview)),
               request_body=(request_body, (bytes, bytearray, memoryview, type(None))),
               headers=(headers, (dict, type(None))))
        try:
            request = Request(method=method.upper(), url=url,
                              body=bytes(request_body) if request_body is not None else None,
                              content_type="application/json" if request_body else None)
            if headers is not None:
                request.session = from_headers(headers.items())
                request.viewer = self.engine.viewer(request, list(headers.items()))
            return self.process_request(request, bytes(body), content_type)
        except Exception as exc:  # fail open: the caller sends the original body
            return Outcome(reason="engine error", error=f"{type(exc).__name__}: {exc}")


def _check(**given) -> None:
    for name, (value, types) in given.items():
        if not isinstance(value, types):
            raise TypeError(f"{name} must be {_names(types)}, not {type(value).__name__}")


def _names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join("None" if t is type(None) else t.__name__ for t in types)


def classify(url: str, body: bytes, *, method: str = "GET", content_type: str | None = None,
             request_body: bytes | None = None, headers: dict[str, str] | None = None,
             profile: Profile | str | None = None, rules: str | None = None) -> Outcome:
    """One response with a classifier made for it (prefer a Classifier for many responses)."""
    return Classifier(profile, rules).process(url, body, method=method, request_body=request_body,
                                              headers=headers, content_type=content_type)
