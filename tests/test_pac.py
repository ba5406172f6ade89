"""/proxy.pac evaluated by a real JavaScript engine (Node, with the PAC helper functions): every
adapter's hosts go to the proxy, other hosts DIRECT, and a user pack's hosts once it is added."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from feedlens import features, paths
from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app

from .test_pack_layering import demo_titled, user_pack

HARNESS = Path(__file__).parent / "pac_eval.js"
PROXY = "192.0.2.7:8080"
OTHERS = ["mail.google.com", "www.icbc.com.cn", "classroom.google.com", "example.com",
          "notreddit.com", "reddit.com.evil.test", "x.company.test", "api.github.com", "localhost",
          "10.0.0.1", "bilibili.com.cn"]


def node() -> str:
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing: the PAC test needs a JavaScript engine")
        pytest.skip("node is not installed (dev.py's node tests need it too)")
    return found


def evaluate(pac: str, hosts: list[str], tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "proxy.pac"
    path.write_text(pac, encoding="utf-8")
    done = subprocess.run([node(), str(HARNESS), str(path)], input=json.dumps(hosts), text=True,
                          capture_output=True, timeout=60, check=True)
    return json.loads(done.stdout)


def adapter_examples(adapter) -> set[str]:
    """Names each adapter's hosts stand for: exact ones, and a name under each `*.` pattern."""
    feed_like = adapter.raw.get("feed_like") or {}
    named = {h for e in adapter.endpoints for h in e.hosts} | set(adapter.raw.get("pages") or [])
    named |= set(feed_like.get("hosts") or [])
    return {f"cdn-7.{h[2:]}" if h.startswith("*.") else h for h in named if h != "*"}


async def fetch_pac(aiohttp_client, runtime) -> str:
    client = await aiohttp_client(init_app(ServiceConfig(runtime, proxy=("192.0.2.7", 8080))))
    response = await client.get("/proxy.pac")  # no token: devices fetch it as they are
    assert response.status == 200
    assert response.content_type == "application/x-ns-proxy-autoconfig"
    return await response.text()


async def test_platform_hosts_go_to_the_proxy_and_others_direct(tmp_path, aiohttp_client, user_packs):
    features.install()
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=paths.bundled_rules_dir()))
    adapters = runtime.engine.adapters.adapters
    assert len(adapters) >= 10
    platform = {h for a in adapters for h in adapter_examples(a)}
    assert {"www.bilibili.com", "cdn-7.reddit.com", "www.youtube.com", "bsky.app"} <= platform
    before = ["feed.mypack.test"]
    answers = evaluate(await fetch_pac(aiohttp_client, runtime), sorted(platform) + OTHERS + before,
                       tmp_path)
    assert {h for h in platform if answers[h] != f"PROXY {PROXY}; DIRECT"} == set()
    assert {h: answers[h] for h in OTHERS} == {h: "DIRECT" for h in OTHERS}
    assert answers["feed.mypack.test"] == "DIRECT"

    # the user adds a pack for a platform of their own: after the reload its host is proxied
    user_pack(user_packs, "mine", mine=demo_titled("Mine", "mine", "feed.mypack.test"))
    runtime.reload()
    assert runtime.engine.adapters.by_platform("mine") is not None
    after = evaluate(await fetch_pac(aiohttp_client, runtime),
                     ["feed.mypack.test", "www.bilibili.com", "other.mypack.test"], tmp_path)
    assert after == {"feed.mypack.test": f"PROXY {PROXY}; DIRECT",
                     "www.bilibili.com": f"PROXY {PROXY}; DIRECT", "other.mypack.test": "DIRECT"}
