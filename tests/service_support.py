"""Fixtures for the service tests: a rules dir on disk, feedlens's real Runtime on it (with a
real store in the test's data dir), and a client of the real app."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from feedlens import paths
from feedlens.model import Evidence, Item, Provenance
from tests.routes_minors import MINORS_API_ROUTES, MINORS_MISSING_OK
from tests.routes_reports import REPORTS_API_ROUTES, REPORTS_MISSING_OK
from tests.routes_research import RESEARCH_API_ROUTES, RESEARCH_MISSING_OK
from feedlens.service import ServiceConfig, init_app
from feedlens.runtime import Config, Runtime
from feedlens.store import ResponseRecord, Store

ADAPTER = """\
title: Demo platform
platform: demo
version: 3
expires: 30 days
homepage: https://example.org
licence: GPL-3.0-or-later
endpoints:
  - name: home
    match: {host: [api.demo.test, app.demo.test], path: /feed/home}
    surface: home
    items: data.list
    fields: {id: id, title: title}
    provenance:
      - {when: "ad", is: promoted}
      - {default: personalized}
    dom:
      item: ".card"
      id: {selector: "a[href*='/v/']", attr: href, regex: "/v/(\\\\w+)"}
      title: ".card-title"
  - name: search
    match: {host: api.demo.test, path: /search}
    surface: search
    items: data.list
    fields: {id: id}
    provenance:
      - {default: search}
choice:
  observe:
    - name: feed-flag
      kind: flag
      endpoints: [home]
      read: query.disable_rcmd
      means: {"1": not_personalised, "0": personalised}
"""

DEFAULT_PROFILE = """\
title: Mark only
version: 1
rules: []
"""

STRICT_PROFILE = """\
title: No ads
version: 2
description: hides promoted items
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
    cases:
      match: [{provenance: promoted}]
      no_match: [{provenance: followed}]
"""


def write_rules(root: Path) -> Path:
    paths.platforms_dir(root).mkdir(parents=True)
    paths.profiles_dir(root).mkdir(parents=True)
    (paths.platforms_dir(root) / "demo.yaml").write_text(ADAPTER, encoding="utf-8")
    (paths.profiles_dir(root) / "default.yaml").write_text(DEFAULT_PROFILE, encoding="utf-8")
    (paths.profiles_dir(root) / "strict.yaml").write_text(STRICT_PROFILE, encoding="utf-8")
    return root


# Line 9 holds the error, so messages must read `…broken.yaml:9: …`.
INVALID_PROFILE = """\
title: Broken
version: 1
rules:
  - id: ok-rule
    when: {provenance: promoted}
    action: hide
  - id: bad-rule
    when: {provenance: promoted}
    action: explode
"""


def real_runtime(data_dir: Path, rules_dir: Path) -> Runtime:
    """feedlens's own Runtime on these rules, with a store that flushes at once, and counters
    as a proxy that has been running a while would have them."""
    store = Store(data_dir / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
    runtime = Runtime(Config(data_dir=data_dir, rules_dir=rules_dir, profile="default"), store=store)
    counters = runtime.counters
    counters.responses_seen, counters.feed_responses, counters.items_marked = 12, 3, 30
    counters.error("demo", "example failure")
    counters.last_feed = {"demo": time.time() - 120}
    counters.client("127.0.0.1")  # the browser these responses went to
    return runtime


def demo_item(position: int, item_id: str, provenance: str = "personalized", **extra) -> Item:
    values = dict(platform="demo", endpoint="home", surface="home", position=position, id=item_id,
                  kind="video", provenance=Provenance(provenance), title=f"t-{item_id}",
                  evidence=[Evidence("ad", True)] if provenance == "promoted" else [])
    values.update(extra)
    return Item(**values)


def record(items: list[Item], at: float | None = None, **extra) -> ResponseRecord:
    values = dict(time=time.time() if at is None else at, platform="demo", endpoint="home",
                  surface="home", url="https://api.demo.test/feed/home", status=200,
                  changed=True, error=None, items=items)
    values.update(extra)
    return ResponseRecord(**values)


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    return write_rules(tmp_path / "rules")


@pytest.fixture
def runtime(tmp_path, rules_dir) -> Runtime:
    return real_runtime(tmp_path / "data", rules_dir)


@pytest.fixture
async def client(aiohttp_client, runtime):
    return await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))


@pytest.fixture
def token(client, runtime) -> str:
    return (runtime.config.data_dir / "token").read_text().strip()


@pytest.fixture
def auth(token) -> dict:
    return {"Authorization": f"Bearer {token}"}


# Every /api route with a request that would succeed given the token.
API_ROUTES = REPORTS_API_ROUTES + MINORS_API_ROUTES + RESEARCH_API_ROUTES + [
    ("GET", "/api/dashboard", None),
    ("GET", "/api/marks?platform=demo&ids=a,b", None),
    ("GET", "/api/items", None),
    ("GET", "/api/stats", None),
    ("GET", "/api/rules/dom", None),
    ("GET", "/api/profiles", None),
    ("GET", "/api/profiles/strict", None),
    ("POST", "/api/profiles/active", {"name": "strict"}),
    ("PUT", "/api/profiles/new-one", {"yaml": DEFAULT_PROFILE}),
    ("GET", "/api/extension/state", None),
    ("POST", "/api/extension/rules", {"kind": "hide_author", "platform": "demo", "author": "x"}),
    ("POST", "/api/extension/undo", {"id": "ext-hide-author-20260101-abcdef"}),
    ("POST", "/api/extension/switch", {"name": "hide_personalized", "on": False}),
    ("POST", "/api/extension/pause", {"minutes": 0}),
    ("GET", "/api/my-rules", None),
    ("POST", "/api/my-rules", {"rule": "id: hide-x\nwhen: {author: x}\naction: hide\n"}),
    ("POST", "/api/my-rules/check", {"rule": "id: hide-x\nwhen: {author: x}\naction: hide\n"}),
    ("POST", "/api/my-rules/remove", {"id": "never-added"}),
    ("POST", "/api/packs/update", {}),
    ("POST", "/api/login-link", None),
    ("GET", "/api/choices", None),
    ("POST", "/api/choices/declare", {"platform": "demo", "state": "not_personalised"}),
]

EXTENSION_ORIGINS = ["chrome-extension://abcdefghijklmnopabcdefghijklmnop",
                     "moz-extension://0f3c1c2e-7d3a-4b9e-9a55-0d7b5e0d2c11"]
FOREIGN_ORIGINS = ["https://evil.example", "http://localhost.evil.example:8787", "null",
                   "http://127.0.0.1:1", "chrome-extension://", "chrome-extension://abc/../x",
                   "https://127.0.0.1", "file://"]

# Paths whose successful answer, on an empty store, is 404 (e.g. undoing what was never done).
MISSING_OK = {"/api/extension/undo", "/api/my-rules/remove"} | REPORTS_MISSING_OK | MINORS_MISSING_OK | RESEARCH_MISSING_OK


async def log_in(client, token: str, lang: str | None = None):
    """Log the test client into the dashboard as a user does: a one-time link (asked for with
    the token, like `feedlens dashboard`), opened once. Returns the redirect response."""
    link = await client.post("/api/login-link", headers={"Authorization": f"Bearer {token}"})
    code = (await link.json())["code"]
    query = f"?code={code}" + (f"&lang={lang}" if lang else "")
    return await client.get(f"/{query}", allow_redirects=False)
