"""The library API: what the command line's `classify` does, for Python code.

    import feedlens.api as feedlens
    outcome = feedlens.classify("https://api.bilibili.com/x/web-interface/popular", body)
    for item in outcome.items:
        print(item.provenance, item.format, item.relation, item.title)

Items are feedlens.model.Item (`to_dict()` for JSON): provenance with its evidence
(docs/provenance.md), format and relation with their signal or reason (docs/format.md).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from . import features, layers
from .adapters import AdapterSet
from .engine import Engine, Request
from .model import Item, Outcome  # noqa: F401 (API)
from .profiles import MARK_ONLY, Profile, load_profile
from .session import from_headers


@cache
def adapters(rules: str | None = None) -> AdapterSet:
    """The adapters of a rules directory (default: the shipped ones), loaded once."""
    features.install()  # the shipped adapters carry feature sections (report:)
    return layers.load_layers(Path(rules) if rules else None).adapter_set()  # with the user's packs


def classify(url: str, body: bytes, *, method: str = "GET", content_type: str | None = None,
             request_body: bytes | None = None, headers: dict[str, str] | None = None,
             profile: Profile | str | None = None, rules: str | None = None) -> Outcome:
    """Mark (and, with a profile, rewrite) one response as the proxy would. `headers` are the
    request's: only cookie names and the Authorization scheme are read. `profile` is a Profile,
    a profile file or None (mark only)."""
    if isinstance(profile, str):
        profile = load_profile(profile)
    request = Request(method=method.upper(), url=url, body=request_body,
                      content_type="application/json" if request_body else None)
    engine = Engine(adapters(rules), profile or MARK_ONLY)
    if headers is not None:
        request.session = from_headers(headers.items())
        request.viewer = engine.viewer(request, list(headers.items()))
    return engine.process(request, body, content_type)
