"""Runtime: config parsing, hot reload that keeps the last good version, profile choice, health."""

from __future__ import annotations

import asyncio
import os
import json
import shutil
from pathlib import Path

import pytest

from feedlens.profiles import ProfileError
from feedlens.counters import Counters
from feedlens.runtime import Config, Runtime, parse_resolve

DATA = Path(__file__).parent / "data"

HIDE_ADS = """title: Hide ads
version: 1
rules:
  - id: hide-promoted
    when: {provenance: promoted}
    action: hide
"""
MARK_ONLY = "title: Mark only\nversion: 1\nrules: []\n"


def write_demo_rules(root: Path) -> Path:
    """A rules dir with the demo adapter, a mark-only default and a no-ads profile."""
    (root / "platforms").mkdir(parents=True)
    (root / "profiles").mkdir()
    shutil.copy(DATA / "demo.yaml", root / "platforms" / "demo.yaml")
    (root / "profiles" / "default.yaml").write_text(MARK_ONLY)
    (root / "profiles" / "no-ads.yaml").write_text(HIDE_ADS)
    return root


@pytest.fixture
def rules(tmp_path) -> Path:
    return write_demo_rules(tmp_path / "rules")


def make(tmp_path, rules, **kw) -> Runtime:
    return Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, **kw))


def touch_write(path: Path, text: str) -> None:
    """Write and move the mtime forward, so a change within one clock tick is still seen."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    stat = path.stat()
    if stat.st_mtime_ns <= before:
        os.utime(path, ns=(stat.st_atime_ns, before + 1_000_000))


def test_parse_resolve():
    assert parse_resolve(["API.Example.com=127.0.0.1:8443", "v6.test=[::1]:443"]) == {
        "api.example.com": ("127.0.0.1", 8443), "v6.test": ("::1", 443)}
    for bad in ["nohost", "=1.2.3.4:5", "h=1.2.3.4", "h=1.2.3.4:0", "h=1.2.3.4:99999", "h=:80"]:
        with pytest.raises(ValueError, match="HOST=IP:PORT"):
            parse_resolve([bad])


def test_loads_adapters_and_profile(tmp_path, rules):
    runtime = make(tmp_path, rules, profile="no-ads")
    assert [a.platform for a in runtime.engine.adapters.adapters] == ["demo"]
    assert runtime.engine.profile.name == "no-ads"
    health = runtime.health()
    assert health["profile"]["active"] == "no-ads"
    assert health["adapter_errors"] == [] and health["profile"]["errors"] == []
    assert health["profiles"] == ["default", "no-ads"]


def test_invalid_adapter_keeps_previous_version(tmp_path, rules, caplog):
    runtime = make(tmp_path, rules)
    adapter = rules / "platforms" / "demo.yaml"
    good = adapter.read_text()
    touch_write(adapter, good.replace("items: data.list", "items: [oops"))
    assert runtime.reload() is False
    assert [a.platform for a in runtime.engine.adapters.adapters] == ["demo"]
    assert any("demo.yaml" in e for e in runtime.health()["adapter_errors"])
    assert any("keeping the previous version" in e for e in runtime.adapter_errors)
    assert "demo.yaml" in caplog.text
    touch_write(adapter, good)
    assert runtime.reload() is True
    assert runtime.adapter_errors == []


def test_invalid_adapter_at_start_is_reported_not_fatal(tmp_path, rules):
    (rules / "platforms" / "broken.yaml").write_text("title: [\n")
    runtime = make(tmp_path, rules)
    assert [a.platform for a in runtime.engine.adapters.adapters] == ["demo"]
    assert any("broken.yaml" in e for e in runtime.adapter_errors)


def test_duplicate_platform_is_refused(tmp_path, rules):
    shutil.copy(rules / "platforms" / "demo.yaml", rules / "platforms" / "zz-demo.yaml")
    runtime = make(tmp_path, rules)
    assert len(runtime.engine.adapters.adapters) == 1
    assert any("already defined" in e for e in runtime.adapter_errors)


def test_invalid_profile_keeps_previous_version(tmp_path, rules):
    runtime = make(tmp_path, rules, profile="no-ads")
    profile = rules / "profiles" / "no-ads.yaml"
    touch_write(profile, HIDE_ADS.replace("action: hide", "action: explode"))
    assert runtime.reload() is False
    assert runtime.engine.profile.rules[0].action == "hide"
    assert runtime.health()["profile"]["errors"]
    touch_write(profile, HIDE_ADS.replace("action: hide", "action: blur"))
    assert runtime.reload() is True
    assert runtime.engine.profile.rules[0].action == "blur"
    assert runtime.profile_errors == []


def test_set_profile_validates_and_persists(tmp_path, rules):
    runtime = make(tmp_path, rules, profile="")
    assert runtime.profile_name == "default"
    runtime.set_profile("no-ads")
    assert runtime.engine.profile.name == "no-ads"
    assert json.loads((tmp_path / "data" / "state.json").read_text()) == {"profile": "no-ads"}
    for bad in ["missing", "../no-ads", "/etc/passwd"]:
        with pytest.raises(ProfileError):
            runtime.set_profile(bad)
    assert runtime.engine.profile.name == "no-ads"
    assert make(tmp_path, rules, profile="").profile_name == "no-ads"  # the saved choice
    assert make(tmp_path, rules, profile="default").profile_name == "default"  # explicit wins


def test_mark_style_overrides_profile(tmp_path, rules):
    assert make(tmp_path, rules).engine.profile.title_prefix == "off"
    assert make(tmp_path, rules, mark_style="all").engine.profile.title_prefix == "all"


def test_counters_ca_trust_signal():
    counters = Counters()
    assert counters.ca_trusted() is None
    counters.tls_failed("10.0.0.2", "api.bilibili.com", "unknown ca")
    assert counters.ca_trusted() is False
    counters.tls_established()
    assert counters.ca_trusted() is True
    snapshot = counters.snapshot()
    assert snapshot["tls_failures"] == 1 and snapshot["last_tls_failure"]["sni"] == "api.bilibili.com"


def test_counters_keep_a_bounded_client_list():
    counters = Counters()
    for i in range(100):
        counters.client(f"10.0.0.{i}")
    assert counters.snapshot()["clients_seen"] == 64


async def test_watcher_reloads_changed_files(tmp_path, rules, monkeypatch):
    monkeypatch.setattr("feedlens.runtime.POLL_SECONDS", 0.05)
    runtime = make(tmp_path, rules, profile="no-ads")
    await runtime.start()
    try:
        touch_write(rules / "profiles" / "no-ads.yaml", HIDE_ADS.replace("action: hide", "action: label"))
        await wait_for(lambda: runtime.engine.profile.rules[0].action == "label")
        touch_write(rules / "platforms" / "demo.yaml", "version: [\n")
        await wait_for(lambda: runtime.adapter_errors)
        assert [a.platform for a in runtime.engine.adapters.adapters] == ["demo"]
    finally:
        await runtime.close()


async def wait_for(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_research_records_only_devices_a_parent_did_not_give_their_own_profile(tmp_path, rules):
    from feedlens.model import Item, Provenance
    from feedlens.store import ResponseRecord

    runtime = make(tmp_path, rules)
    await runtime.start()
    try:
        await runtime.research.enable("study-1", "v1", ["title"], 30)
        await runtime.minors.set_device("user:kid", "default")
        for n, device in enumerate((None, "user:me", "user:kid")):
            item = Item(platform="demo", endpoint="home", surface="home", position=0, id=f"i{n}",
                        kind="video", provenance=Provenance.PERSONALIZED, title=f"from {device}")
            runtime.store.submit(ResponseRecord(time=1_800_000_000.0 + n, platform="demo",
                                                endpoint="home", surface="home", url="u", status=200,
                                                changed=False, error=None, items=[item], device=device))
        await runtime.store.flush()
        titles = await runtime.store.run_read(
            lambda conn: sorted(r[0] for r in conn.execute("SELECT title FROM research_records")))
    finally:
        await runtime.close()
    assert titles == ["from None", "from user:me"]
