"""Fixtures for the service tests: a rules dir on disk, a small fake Runtime, a client.

The fake has exactly the attributes the runtime contract gives the service (no `profile_name`,
so the fallback to `engine.profile.name` is exercised); tests/test_service_runtime.py plugs
in the real proxy.runtime.Runtime.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from feedlens import paths
from feedlens.adapters import load_adapters
from feedlens.engine import Engine
from feedlens.model import Evidence, Item, Provenance
from feedlens.profiles import load_profile
from feedlens.recent import RecentItems
from feedlens.minors.policy import file_limits
from feedlens.minors.state import Minors
from feedlens.research.recorder import Research
from tests.routes_minors import MINORS_API_ROUTES, MINORS_MISSING_OK
from tests.routes_reports import REPORTS_API_ROUTES, REPORTS_MISSING_OK
from tests.routes_research import RESEARCH_API_ROUTES, RESEARCH_MISSING_OK
from feedlens.service import ServiceConfig, init_app
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


class FakeCounters:
    def __init__(self):
        self.values = {"responses_seen": 12, "feed_responses": 3, "items_marked": 30, "errors": 1,
                       "tls_failures": 0, "last_feed": {"demo": time.time() - 120}}

    def snapshot(self) -> dict:
        return dict(self.values)


class FakeRuntime:
    """The Runtime surface from the contract, with a real engine and a real store."""

    def __init__(self, data_dir: Path, rules_dir: Path):
        self.config = SimpleNamespace(data_dir=data_dir, rules_dir=rules_dir,
                                      service_host="127.0.0.1", service_port=8787)
        self.store = Store(data_dir / "feedlens.sqlite3", flush_interval=0.01, prune_interval=0)
        self.recent = RecentItems()
        self.research = Research(self.store, data_dir)
        self.minors = Minors(self.store, limits=file_limits(rules_dir),
                             default_profile=lambda: self.engine.profile.name)
        self.counters = FakeCounters()
        self.adapter_errors: list[str] = []
        self.profile_errors: list[str] = []
        self.started = time.time() - 90
        adapters = load_adapters([paths.platforms_dir(rules_dir)])
        self.engine = Engine(adapters, load_profile(paths.resolve_profile("default", rules_dir)))
        self.calls: list[str] = []

    def reload(self) -> bool:
        self.calls.append("reload")
        name = self.engine.profile.name
        self.engine = Engine(self.engine.adapters,
                             load_profile(paths.resolve_profile(name, self.config.rules_dir)))
        return True

    def set_profile(self, name: str) -> None:
        self.calls.append(f"set_profile {name}")
        profile = load_profile(paths.resolve_profile(name, self.config.rules_dir))  # may raise
        self.engine = Engine(self.engine.adapters, profile)

    def health(self) -> dict:
        return {"counters": self.counters.snapshot(), "adapter_errors": self.adapter_errors,
                "profile": {"active": self.engine.profile.name, "errors": self.profile_errors},
                "data_dir": self.config.data_dir}  # a Path: the service must still serialise it

    async def start(self) -> None:
        self.calls.append("start")
        await self.store.start()

    async def close(self) -> None:
        self.calls.append("close")
        await self.store.close()


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
def runtime(tmp_path, rules_dir) -> FakeRuntime:
    return FakeRuntime(tmp_path / "data", rules_dir)


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
]

EXTENSION_ORIGINS = ["chrome-extension://abcdefghijklmnopabcdefghijklmnop",
                     "moz-extension://0f3c1c2e-7d3a-4b9e-9a55-0d7b5e0d2c11"]
FOREIGN_ORIGINS = ["https://evil.example", "http://localhost.evil.example:8787", "null",
                   "http://127.0.0.1:1", "chrome-extension://", "chrome-extension://abc/../x",
                   "https://127.0.0.1", "file://"]

# Paths whose successful answer, on an empty store, is 404 (e.g. undoing what was never done).
MISSING_OK = {"/api/extension/undo"} | REPORTS_MISSING_OK | MINORS_MISSING_OK | RESEARCH_MISSING_OK
