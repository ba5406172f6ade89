"""My rules: the user's layer composed over the active profile, once per rules generation."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from feedlens import myrules
from feedlens.model import Item, Provenance
from feedlens.profiles import decide, load_profile_text
from feedlens.runtime import Config, Runtime
from tests.test_runtime import HIDE_ADS, touch_write, write_demo_rules

NOW = datetime(2026, 1, 15, 12, 0)

LAYER = """\
title: My rules
version: 1
rules:
  - id: show-alice
    when: {author: alice}
    action: keep
  - id: hide-bob
    when: {author: bob}
    action: hide
"""

ALLOW_ONLY = """\
title: Only carol
version: 1
rules:
  - id: carol
    when: {author: carol}
    action: allow_only
"""

LOCKED = """\
title: Kid
version: 1
locked: true
rules:
  - id: hide-promoted
    when: {provenance: promoted}
    action: hide
"""


def item(author: str, provenance: str = "personalized") -> Item:
    return Item(platform="demo", endpoint="home", surface="home", position=0, id=author,
                kind="post", author=author, provenance=Provenance(provenance))


def actions(profile, *items: Item) -> list[str]:
    return [d.action for d in decide(profile, list(items), NOW)]


def layer() -> object:
    return load_profile_text(LAYER, "my-rules.yaml", "my-rules")


def test_layer_rules_run_first_and_first_match_wins():
    composed = myrules.compose(load_profile_text(HIDE_ADS, "no-ads.yaml"), layer())
    assert [r.id for r in composed.rules] == ["show-alice", "hide-bob", "hide-promoted"]
    assert composed.name == "no-ads"  # still the active profile's name, marks and lock
    assert actions(composed, item("alice", "promoted"), item("bob", "followed"),
                   item("dave", "promoted"), item("erin")) == ["keep", "hide", "hide", "keep"]


def test_allow_only_profile_keeps_layer_keeps_and_hides_the_rest():
    composed = myrules.compose(load_profile_text(ALLOW_ONLY, "only.yaml"), layer())
    assert actions(composed, item("alice"), item("bob"), item("carol"), item("dave")) == [
        "keep", "hide", "keep", "hide"]


def test_a_locked_profile_is_never_weakened():
    locked = load_profile_text(LOCKED, "kid.yaml")
    assert myrules.compose(locked, layer()) is locked
    assert actions(myrules.compose(locked, layer()), item("alice", "promoted")) == ["hide"]


@pytest.fixture
def rules(tmp_path) -> Path:
    root = write_demo_rules(tmp_path / "rules")
    (root / "profiles" / "kid.yaml").write_text(LOCKED)
    return root


def runtime_on(tmp_path, rules, profile="no-ads") -> Runtime:
    return Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile=profile))


def test_layer_file_lives_in_the_user_dir(user_rules):
    assert myrules.layer_path() == user_rules / "my-rules.yaml"


def test_runtime_composes_once_per_generation_and_workers_get_the_same(tmp_path, rules, user_rules):
    touch_write(user_rules / "my-rules.yaml", LAYER)
    runtime = runtime_on(tmp_path, rules)
    engine = runtime.engine
    assert [r.id for r in engine.profile.rules] == ["show-alice", "hide-bob", "hide-promoted"]
    assert runtime.profile_engine(None).engine is engine  # not rebuilt per response
    worker = runtime.engine_spec.build()  # what a worker process compiles from the texts
    assert [r.id for r in worker.profile.rules] == ["show-alice", "hide-bob", "hide-promoted"]
    runtime.set_profile("default")
    assert [r.id for r in runtime.engine.profile.rules] == ["show-alice", "hide-bob"]


def test_device_with_an_assigned_profile_gets_it_without_the_layer(tmp_path, rules, user_rules):
    touch_write(user_rules / "my-rules.yaml", LAYER)
    runtime = runtime_on(tmp_path, rules)
    assigned = runtime.profile_engine("no-ads", assigned=True)
    assert [r.id for r in assigned.engine.profile.rules] == ["hide-promoted"]
    assert assigned.spec.layer is None and runtime.engine_spec.layer is not None
    assert [r.id for r in assigned.spec.build().profile.rules] == ["hide-promoted"]
    runtime.set_profile("kid")  # a locked active profile: the layer is not applied at all
    assert [r.id for r in runtime.engine.profile.rules] == ["hide-promoted"]
    assert runtime.engine_spec.layer is None and runtime.health()["my_rules"]["applied"] is False


def test_broken_layer_keeps_the_previous_version_with_file_line_errors(tmp_path, rules, user_rules):
    path = user_rules / "my-rules.yaml"
    touch_write(path, LAYER)
    runtime = runtime_on(tmp_path, rules)
    touch_write(path, LAYER.replace("action: hide", "action: explode"))
    assert runtime.reload() is False
    assert [r.id for r in runtime.engine.profile.rules][:2] == ["show-alice", "hide-bob"]
    assert any("my-rules.yaml:9:" in m for m in runtime.health()["my_rules"]["errors"])
    path.unlink()
    assert runtime.reload() is True and [r.id for r in runtime.engine.profile.rules] == ["hide-promoted"]


async def test_hot_reload_picks_up_layer_edits(tmp_path, rules, user_rules, monkeypatch):
    monkeypatch.setattr("feedlens.runtime.POLL_SECONDS", 0.05)
    runtime = runtime_on(tmp_path, rules)
    await runtime.start()
    try:
        assert [r.id for r in runtime.engine.profile.rules] == ["hide-promoted"]
        touch_write(user_rules / "my-rules.yaml", LAYER)
        for _ in range(100):
            if len(runtime.engine.profile.rules) == 3:
                break
            await asyncio.sleep(0.05)
        assert [r.id for r in runtime.engine.profile.rules][0] == "show-alice"
    finally:
        await runtime.close()
