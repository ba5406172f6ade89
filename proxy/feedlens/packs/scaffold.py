"""`feedlens rules new-platform NAME`: an adapter skeleton with one endpoint, a fixture body
and its expected results, written into a user pack that `rules test` passes as written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .. import paths
from .build import existing_fields, header_fields, write_header
from .header import today

NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class ScaffoldError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def user_packs_dir() -> Path:
    """$XDG_CONFIG_HOME/feedlens/packs (else ~/.config/feedlens/packs): the user's own packs."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "feedlens" / "packs"


def default_pack() -> Path:
    return user_packs_dir() / "my-rules"


def new_platform(name: str, pack: Path) -> list[Path]:
    """Write the skeleton of platform `name` into the pack directory `pack` (made when
    missing, with a header) and refresh the pack's header; returns the files written."""
    if not NAME.match(name):
        raise ScaffoldError(f"{name!r} is not a platform name",
                            "2-32 characters: a lowercase letter, then letters, digits or _")
    taken = [p for p in (pack / "platforms" / f"{name}.yaml", pack / "platforms" / f"{name}.fixtures",
                         paths.bundled_rules_dir() / "platforms" / f"{name}.yaml") if p.exists()]
    if taken:
        raise ScaffoldError(f"platform {name!r} already exists: {taken[0]}", "choose another name")
    fields = existing_fields(pack) or {"name": _pack_name(pack), "title": f"{pack.name} (my own rules)",
                                       "version": "1", "released": today(), "expires": "30 days",
                                       "licence": "CC0-1.0"}
    fields = header_fields(pack, fields, new_release=False)  # its problems before anything is written
    fixtures = pack / "platforms" / f"{name}.fixtures"
    fixtures.mkdir(parents=True)
    written = [pack / "platforms" / f"{name}.yaml", fixtures / "home.yaml", fixtures / "home.json"]
    written[0].write_text(ADAPTER.format(name=name), encoding="utf-8")
    written[1].write_text(CASE.format(name=name), encoding="utf-8")
    written[2].write_text(json.dumps(BODY, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(write_header(pack, fields))
    return written


def _pack_name(pack: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", pack.name.lower()).strip("-")
    return name if len(name) >= 2 else "my-rules"


ADAPTER = """\
# {name}: written by `feedlens rules new-platform {name}`. Edit it to read the real feed, then
# `feedlens rules test` (docs/rule-packs.md; the format: docs/adapters.md).
title: {name}
platform: {name}
version: 1
expires: 30 days
homepage: https://example.org/{name}
licence: CC0-1.0
format: {{unknown: "not described yet: say what the items are (docs/format.md)"}}
relation: original
endpoints:
  - name: home
    # the request this endpoint reads: its host and path (see docs/adapters.md, "match")
    match: {{host: api.{name}.example, path: /feed/home}}
    surface: home
    items: data.items            # where the list of items is (JMESPath)
    fields: {{id: id, author_id: author.id, author: author.name, title: title}}
    provenance:                  # first match wins; the default says why
      - {{when: "ad == `true`", is: promoted, reason: ad_label}}
      - {{when: "author.followed == `true`", is: followed}}
      - {{default: personalized, why: "home items without another signal are ranked for the user"}}
"""

CASE = """\
# What the engine must find in home.json (docs/adapters.md, "Fixtures").
url: https://api.{name}.example/feed/home
expect:
  endpoint: home
  count: 3
  provenance: {{promoted: 1, followed: 1, personalized: 1}}
  items:
    - {{id: p1, provenance: promoted, author: Shop}}
    - {{id: p2, provenance: followed, author: Friend}}
    - {{id: p3, provenance: personalized}}
"""

BODY = {"data": {"items": [
    {"id": "p1", "title": "An advertisement", "ad": True, "ad_label": "Sponsored",
     "author": {"id": "u1", "name": "Shop", "followed": False}},
    {"id": "p2", "title": "A post by someone you follow", "ad": False,
     "author": {"id": "u2", "name": "Friend", "followed": True}},
    {"id": "p3", "title": "A recommended post", "ad": False,
     "author": {"id": "u3", "name": "Stranger", "followed": False}},
]}}
