"""Rule packs in layers (feedlens.layers): the bundled pack first, the user's packs on top, by
platform; health and marks say which pack decided; a broken user pack fails open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from feedlens import __version__, layers, paths
from feedlens.engine import Request
from feedlens.offload import EngineSpec
from feedlens.runtime import Config, Runtime
from feedlens.service import parent_guard

DATA = Path(__file__).parent / "data"
HOME = "https://api.demo.test/feed/home"
MARK_ONLY = "title: Mark only\nversion: 1\nrules: []\n"
LOCKED = "title: Kid\nversion: 1\nlocked: true\nrules:\n  - {id: no-ads, when: {provenance: promoted}, action: hide}\n"


def base_rules(root: Path) -> Path:
    (root / "platforms").mkdir(parents=True)
    (root / "profiles").mkdir()
    shutil.copy(DATA / "demo.yaml", root / "platforms" / "demo.yaml")
    (root / "profiles" / "default.yaml").write_text(MARK_ONLY)
    (root / "profiles" / "kid.yaml").write_text(LOCKED)
    (root / "pack.yaml").write_text("name: base-rules\nversion: '2026.11.01'\n")
    return root


def user_pack(packs: Path, name: str, header: str | None = None, **adapters: str) -> Path:
    root = packs / name
    (root / "platforms").mkdir(parents=True)
    if header is not None:
        (root / "pack.yaml").write_text(header)
    for file, text in adapters.items():
        (root / "platforms" / f"{file}.yaml").write_text(text)
    return root


def demo_titled(title: str, platform: str = "demo", host: str = "api.demo.test") -> str:
    text = (DATA / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("title: Demo platform", f"title: {title}").replace("platform: demo", f"platform: {platform}")
    return text.replace("api.demo.test", host)


def runtime(tmp_path: Path, rules: Path) -> Runtime:
    return Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules))


def home_items(rt: Runtime, url: str = HOME):
    outcome = rt.engine.process(Request("GET", url), (DATA / "demo_home.json").read_bytes(), "application/json")
    assert outcome.items, outcome.reason
    return outcome.items


def test_the_bundled_rules_are_feedlens_core_with_the_package_version():
    (core,) = [p for p in layers.packs_for(paths.bundled_rules_dir()) if p.name == layers.CORE]
    header = paths.bundled_rules_dir() / "pack.yaml"
    assert core.version == (layers.read_pack(header.parent).version if header.is_file() else __version__)
    loaded = layers.load_layers(paths.bundled_rules_dir())
    assert loaded.in_force and {a.pack for _, _, a in loaded.in_force} == {(core.name, core.version)}
    assert all(e.pack == (core.name, core.version) for _, _, a in loaded.in_force for e in a.endpoints)


def test_a_directory_without_a_header_is_named_after_itself(tmp_path):
    assert layers.read_pack(tmp_path / "mine") == layers.Pack("mine", "unversioned", tmp_path / "mine")
    (tmp_path / "pack.yaml").write_text("name: [not, a, name]\n")
    assert "has no name" in layers.read_pack(tmp_path).error


def test_marks_without_user_packs_carry_the_base_pack(tmp_path):
    rt = runtime(tmp_path, base_rules(tmp_path / "rules"))
    assert {item.pack for item in home_items(rt)} == {"base-rules 2026.11.01"}
    assert rt.health()["pack_notices"] == []
    assert [p["name"] for p in rt.health()["packs"]][0] == "base-rules"


def test_a_user_pack_replaces_one_platform_and_health_says_so(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "fixes", "name: demo-fixes\nversion: '3'\n", demo=demo_titled("Demo, fixed"))
    rt = runtime(tmp_path, rules)
    assert [a.title for a in rt.engine.adapters.adapters] == ["Demo, fixed"]
    assert {item.pack for item in home_items(rt)} == {"demo-fixes 3"}
    health = rt.health()
    mine = next(p for p in health["packs"] if p["name"] == "demo-fixes")
    assert mine == {"name": "demo-fixes", "version": "3", "path": str(user_packs / "fixes"),
                    "adapters": ["demo"], "replaces": [{"platform": "demo", "pack": "base-rules"}],
                    "error": None}
    assert next(p for p in health["packs"] if p["name"] == "base-rules")["adapters"] == []
    assert health["pack_notices"] == [
        f"platform 'demo': the adapter of pack 'demo-fixes' replaces the one of 'base-rules' "
        f"({rules / 'platforms' / 'demo.yaml'})"]
    assert health["adapter_errors"] == []
    assert [a["pack"] for a in health["adapters"]] == ["demo-fixes"]


def test_a_user_pack_adds_a_platform_beside_the_bundled_ones(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "other", other=demo_titled("Other", "other", "api.other.test"))
    rt = runtime(tmp_path, rules)
    assert [a.platform for a in rt.engine.adapters.adapters] == ["demo", "other"]
    assert {i.pack for i in home_items(rt, "https://api.other.test/feed/home")} == {"other unversioned"}
    assert {i.pack for i in home_items(rt)} == {"base-rules 2026.11.01"}
    assert rt.health()["pack_notices"] == []


def test_within_one_pack_a_second_adapter_for_a_platform_is_refused(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "twice", a=demo_titled("First"), b=demo_titled("Second"))
    rt = runtime(tmp_path, rules)
    assert [a.title for a in rt.engine.adapters.adapters] == ["First"]
    assert any("platform 'demo' is already defined in" in e and "b.yaml" in e for e in rt.adapter_errors)


def test_a_broken_user_pack_is_reported_and_the_others_keep_working(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "a-broken", demo="platform: demo\nendpoints: [\n")
    user_pack(user_packs, "b-badheader", "name: [\n", demo=demo_titled("Never loaded"))
    rt = runtime(tmp_path, rules)
    assert [a.title for a in rt.engine.adapters.adapters] == ["Demo platform"]
    assert {i.pack for i in home_items(rt)} == {"base-rules 2026.11.01"}
    errors = rt.health()["adapter_errors"]
    assert any(str(user_packs / "a-broken" / "platforms" / "demo.yaml") in e for e in errors)
    assert any("cannot read the pack header" in e and "'b-badheader' is not loaded" in e for e in errors)
    assert next(p for p in rt.health()["packs"] if p["name"] == "b-badheader")["error"]


def test_a_pack_added_while_running_is_picked_up_on_reload(tmp_path, user_packs):
    rt = runtime(tmp_path, base_rules(tmp_path / "rules"))
    before = rt._signature_now()
    user_pack(user_packs, "late", demo=demo_titled("Late"))
    assert rt._signature_now() != before
    rt.reload()
    assert {i.pack for i in home_items(rt)} == {"late unversioned"}


def test_a_new_pack_version_gives_new_endpoints_and_leaves_the_engine_in_force_alone(tmp_path, user_packs):
    pack = user_pack(user_packs, "fixes", "name: demo-fixes\nversion: '3'\n", demo=demo_titled("Fixed"))
    rt = runtime(tmp_path, base_rules(tmp_path / "rules"))
    before = rt.engine
    (pack / "pack.yaml").write_text("name: demo-fixes\nversion: '4'\n")
    rt.reload()
    assert {e.pack for e in before.adapters.endpoints} == {("demo-fixes", "3")}  # not re-stamped
    assert {i.pack for i in home_items(rt)} == {"demo-fixes 4"}
    # a file that then breaks keeps its last version, under the pack version in force
    (pack / "pack.yaml").write_text("name: demo-fixes\nversion: '5'\n")
    (pack / "platforms" / "demo.yaml").write_text("platform: demo\nendpoints: [\n")
    rt.reload()
    assert {i.pack for i in home_items(rt)} == {"demo-fixes 5"}
    assert any("keeping the previous version" in e for e in rt.adapter_errors)


def test_worker_engines_carry_the_pack_too(tmp_path, user_packs):
    user_pack(user_packs, "fixes", "name: demo-fixes\nversion: '3'\n", demo=demo_titled("Fixed"))
    rt = runtime(tmp_path, base_rules(tmp_path / "rules"))
    engine = EngineSpec(rt.engine_spec.adapters, None, "", rt.config.body_cap).build()
    outcome = engine.process(Request("GET", HOME), (DATA / "demo_home.json").read_bytes(), "application/json")
    assert {i.pack for i in outcome.items} == {"demo-fixes 3"}


def test_a_pack_profile_is_offered_but_never_replaces_one(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    pack = user_pack(user_packs, "profiles-pack")
    (pack / "profiles").mkdir()
    (pack / "profiles" / "kid.yaml").write_text("title: Kid, weakened\nversion: 2\nrules: []\n")
    (pack / "profiles" / "calm.yaml").write_text(MARK_ONLY)
    rt = runtime(tmp_path, rules)
    assert rt.profile_names() == ["calm", "default", "kid"]
    assert rt.profile_path("kid") == rules / "profiles" / "kid.yaml"
    assert parent_guard.profile_locked(rules, "kid")  # the parent's lock stays as set
    assert rt.profile_path("calm") == pack / "profiles" / "calm.yaml"
    assert rt.health()["pack_notices"] == [
        f"profile 'kid' of pack 'profiles-pack' is not offered: a pack never replaces a profile "
        f"({rules / 'profiles' / 'kid.yaml'} stays)"]


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "feedlens.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_rules_check_shows_the_layers_and_checks_each_pack_with_its_own_fixtures(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    shutil.copytree(DATA / "demo.fixtures", rules / "platforms" / "demo.fixtures")
    pack = user_pack(user_packs, "fixes", "name: demo-fixes\nversion: '3'\n", demo=demo_titled("Fixed"))
    shutil.copytree(DATA / "demo.fixtures", pack / "platforms" / "demo.fixtures")
    result = cli("--rules", rules, "rules", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"pack base-rules 2026.11.01 ({rules}): no adapters in force" in result.stderr
    assert f"pack demo-fixes 3 ({pack}): demo" in result.stderr
    assert "notice: platform 'demo': the adapter of pack 'demo-fixes' replaces the one of 'base-rules'" in result.stderr
    cases = len(list((DATA / "demo.fixtures").glob("*.yaml")))
    assert f"and {2 * cases} fixture cases: OK" in result.stderr  # both packs' cases ran


def test_rules_check_reports_a_broken_user_pack(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "broken", demo="platform: demo\nendpoints: [\n")
    result = cli("--rules", rules, "rules", "check")
    assert result.returncode == 1
    assert str(user_packs / "broken" / "platforms" / "demo.yaml") in result.stdout


def test_classify_marks_carry_the_pack(tmp_path, user_packs):
    rules = base_rules(tmp_path / "rules")
    user_pack(user_packs, "fixes", "name: demo-fixes\nversion: '3'\n", demo=demo_titled("Fixed"))
    result = cli("--rules", rules, "classify", "--url", HOME, DATA / "demo_home.json", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert {json.loads(line)["pack"] for line in result.stdout.splitlines()} == {"demo-fixes 3"}
