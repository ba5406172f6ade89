"""`feedlens rules keygen|pack|verify|test|new-platform`, run as real subprocesses."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

from .conftest import ROOT


def feedlens(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "feedlens.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})


def one_line_error(result, *fragments) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def keys(tmp_path: Path) -> Path:
    result = feedlens("rules", "keygen", "--out", tmp_path / "keys")
    assert result.returncode == 0, result.stderr
    return tmp_path / "keys"


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path):
    result = feedlens("rules", "keygen", "--out", tmp_path / "keys")
    assert result.returncode == 0, result.stderr
    private, public = tmp_path / "keys" / "pack.key", tmp_path / "keys" / "pack.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert result.stdout.strip() == public.read_text().strip()
    assert public.read_text().startswith("ed25519:")
    one_line_error(feedlens("rules", "keygen", "--out", tmp_path / "keys"), "already holds a key")


def test_new_platform_pack_verify_and_test_round_trip(tmp_path):
    key_dir, mine = keys(tmp_path), tmp_path / "my-rules"
    made = feedlens("rules", "new-platform", "gadget", "--pack", mine)
    assert made.returncode == 0, made.stderr
    assert f"wrote {mine / 'platforms' / 'gadget.yaml'}" in made.stdout
    tested = feedlens("rules", "test", mine)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.splitlines() == ["ok   gadget/home (3 items)"]
    assert "1 cases: 1 passed, 0 failed" in tested.stderr
    for out in (tmp_path / "out", tmp_path / "out.tar.gz"):
        packed = feedlens("rules", "pack", mine, "--key", key_dir / "pack.key", "--out", out,
                          "--name", "gadget-rules", "--version", "3", "--update-url", "https://example.org/p/")
        assert packed.returncode == 0, packed.stdout + packed.stderr
        assert "gadget-rules 3, 3 files, 1 fixture cases pass, signed" in packed.stdout
        verified = feedlens("rules", "verify", out, "--pubkey", key_dir / "pack.pub")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "signature verified" in verified.stdout
    assert "update_urls:\n- https://example.org/p/" in (tmp_path / "out" / "pack.yaml").read_text()


def test_verify_lists_every_problem_and_exits_1(tmp_path):
    key_dir, mine = keys(tmp_path), tmp_path / "mine"
    feedlens("rules", "new-platform", "gadget", "--pack", mine)
    assert feedlens("rules", "pack", mine, "--key", key_dir / "pack.key", "--out", tmp_path / "p").returncode == 0
    pack = tmp_path / "p"
    body = pack / "platforms" / "gadget.fixtures" / "home.json"
    body.write_text(body.read_text().replace('"Shop"', '"Shoppe"'))
    (pack / "stray.json").write_text("{}")
    other = keys(tmp_path / "other")
    result = feedlens("rules", "verify", pack, "--pubkey", other / "pack.pub")
    assert result.returncode == 1
    assert "home.json: SHA-256 differs" in result.stdout
    assert "stray.json: not listed" in result.stdout
    assert "pack.sig:1: the signature does not match" in result.stdout
    assert "item 0: author='Shoppe', expected 'Shop'" in result.stdout
    assert "FAILED: 4 problem(s)" in result.stderr


def test_pack_refuses_a_failing_fixture_and_writes_nothing(tmp_path):
    key_dir, mine = keys(tmp_path), tmp_path / "mine"
    feedlens("rules", "new-platform", "gadget", "--pack", mine)
    case = mine / "platforms" / "gadget.fixtures" / "home.yaml"
    case.write_text(case.read_text().replace("count: 3", "count: 2"))
    result = feedlens("rules", "pack", mine, "--key", key_dir / "pack.key", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert f"{case}:5: 3 items, expected 2" in result.stdout
    assert not (tmp_path / "out").exists()
    tested = feedlens("rules", "test", mine)
    assert tested.returncode == 1 and tested.stdout.startswith("FAIL gadget/home (3 items)")


def test_verify_refuses_an_archive_that_escapes(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.yaml")
        tar.addfile(info)
    result = feedlens("rules", "verify", evil)
    assert result.returncode == 1
    assert "'../escape.yaml': path leaves the pack" in result.stdout
    assert not (tmp_path / "escape.yaml").exists()


def test_rules_test_runs_the_bundled_pack_by_default():
    result = feedlens("rules", "test")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    lines = result.stdout.splitlines()
    assert "ok   youtube/browse-home (10 items)" in lines
    assert all(line.startswith("ok   ") for line in lines)
    assert " 0 failed; 0 other problems" in result.stderr


def test_new_platform_defaults_to_the_config_dir_and_refuses_names(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    result = feedlens("rules", "new-platform", "gadget", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "feedlens" / "packs" / "my-rules" / "platforms" / "gadget.yaml").is_file()
    one_line_error(feedlens("rules", "new-platform", "gadget", env=env), "already exists")
    one_line_error(feedlens("rules", "new-platform", "youtube", env=env), "already exists")
    one_line_error(feedlens("rules", "new-platform", "Not Ok", env=env), "not a platform name")


def test_bad_input_is_one_line(tmp_path):
    key_dir = keys(tmp_path)
    one_line_error(feedlens("rules", "verify", tmp_path / "nope"), "no such pack")
    (tmp_path / "x.zip").write_text("")
    one_line_error(feedlens("rules", "verify", tmp_path / "x.zip"), "neither a directory nor a .tar.gz")
    one_line_error(feedlens("rules", "verify", ROOT / "rules", "--pubkey", "ed25519:AAAA"), "--pubkey")
    one_line_error(feedlens("rules", "pack", tmp_path / "none", "--key", key_dir / "pack.key"), "no such directory")
    one_line_error(feedlens("rules", "pack", ROOT / "rules", "--key", key_dir / "pack.pub",
                            "--out", tmp_path / "o"), "not an unencrypted PEM private key")
    one_line_error(feedlens("rules", "pack", ROOT / "rules", "--key", key_dir / "pack.key"), "give --key and --out")
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(feedlens("rules", "pack", empty, "--key", key_dir / "pack.key", "--out", tmp_path / "o"),
                   "no name", "--name")


def test_header_only_rewrites_the_hashes_in_place(tmp_path):
    import shutil
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("__pycache__"))
    (rules / "profiles" / "no-ads.yaml").write_text((rules / "profiles" / "no-ads.yaml").read_text() + "\n")
    stale = feedlens("rules", "verify", rules)
    assert stale.returncode == 1 and "profiles/no-ads.yaml: SHA-256 differs" in stale.stdout
    assert feedlens("rules", "pack", rules, "--header-only").returncode == 0
    fresh = feedlens("rules", "verify", rules)
    assert fresh.returncode == 0, fresh.stdout
    assert "ok: feedlens-core" in fresh.stdout


def test_rules_test_of_a_pack_without_cases_has_nothing_to_do(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "calm.yaml").write_text(
        "title: t\nversion: 1\nrules:\n  - {id: hide-ads, when: {provenance: promoted}, action: hide}\n")
    result = feedlens("rules", "test", tmp_path)
    assert result.returncode == 1
    assert f"no fixture cases in {tmp_path}" in result.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pack.yaml").write_text("name: [unclosed\n")
    one_line_error(feedlens("rules", "new-platform", "gadget", "--pack", broken), "invalid YAML")
