"""Rule packs (feedlens.packs): header, hashes, signatures, safe archives, verification,
the scaffold, and the bundled pack's header kept current."""

from __future__ import annotations

import io
import os
import tarfile
import tomllib
from pathlib import Path

import pytest

from feedlens import __version__, paths
from feedlens.packs import archive, build, hashes, header, scaffold, signing
from feedlens.packs.verify import verify_archive, verify_dir

from .conftest import ROOT


@pytest.fixture(scope="module")
def key():
    pem, _ = signing.generate()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"feedlens-test-{os.getpid()}.key"
    path.write_bytes(pem)
    try:
        yield signing.load_private(path)
    finally:
        path.unlink()


@pytest.fixture
def pack(tmp_path, key) -> Path:
    """A signed pack with one adapter, its fixture case and body (the scaffold's)."""
    src = tmp_path / "src"
    scaffold.new_platform("demo_site", src)
    out = tmp_path / "pack"
    build.build_dir(src, out, key, {"name": "demo-pack", "licence": "CC0-1.0"})
    return out


def _lines_with(problems: list[str], text: str) -> list[str]:
    return [p for p in problems if text in p]


# ---- header ---------------------------------------------------------------------------

def test_header_problems_have_file_and_line(tmp_path):
    (tmp_path / "pack.yaml").write_text(
        "name: Bad_Name\ntitle: t\nversion: '1'\nreleased: 2026-13-45\nexpires: soon\n"
        "licence: MIT\nmin_feedlens: '0.1'\nfiles: {}\nextra: 1\n")
    parsed, problems = header.load_header(tmp_path)
    assert parsed is None
    assert any(p.startswith(f"{tmp_path / 'pack.yaml'}:1: ") and "Bad_Name" in p for p in problems)
    assert any(":5: " in p and "soon" in p for p in problems)
    assert any(":9: " in p and "extra" in p for p in problems)


def test_header_semantics_a_date_a_version_and_paths_inside(tmp_path):
    (tmp_path / "pack.yaml").write_text(
        "name: ok-name\ntitle: t\nversion: '1'\nreleased: 2026-02-30\nexpires: 30 days\n"
        "licence: MIT\nmin_feedlens: not-a-version\nfiles:\n  ../x.yaml: " + "a" * 64 + "\n")
    _, problems = header.load_header(tmp_path)
    assert len(problems) == 3
    assert ":4: released" in problems[0] and ":7: min_feedlens" in problems[1]
    assert ":9: files: '../x.yaml'" in problems[2]


def test_too_new_min_feedlens_is_refused(pack):
    parsed, _ = header.load_header(pack)
    assert header.too_new(parsed) is None
    text = (pack / "pack.yaml").read_text().replace(f"min_feedlens: {__version__}", "min_feedlens: 99.0.0")
    (pack / "pack.yaml").write_text(text)
    verdict = verify_dir(pack)
    assert _lines_with(verdict.problems, f"needs feedlens 99.0.0 or newer; this is {__version__}")


# ---- hashes and signatures ------------------------------------------------------------

def test_a_built_pack_verifies_with_its_key(pack, key):
    verdict = verify_dir(pack, key.public_key())
    assert verdict.problems == []
    assert verdict.signed and verdict.header.name == "demo-pack"
    assert [c.case.name for c in verdict.result.cases] == ["home"]


def test_signing_round_trip_and_one_flipped_byte():
    pem, public_text = signing.generate()
    from cryptography.hazmat.primitives import serialization
    private = serialization.load_pem_private_key(pem, None)
    data = b"name: x\nfiles: {}\n"
    signature = signing.sign(private, data)
    public = signing.parse_public(public_text)
    assert signing.check(public, data, signature) is None
    flipped = bytes([data[0] ^ 1]) + data[1:]
    assert "does not match" in signing.check(public, flipped, signature)
    other = signing.parse_public(signing.generate()[1])
    assert "does not match" in signing.check(other, data, signature)
    assert "not base64" in signing.check(public, data, "ed25519:!!!")
    with pytest.raises(signing.SigningError, match="32"):
        signing.parse_public("ed25519:AAAA")


def test_a_changed_header_byte_breaks_the_signature(pack, key):
    text = (pack / "pack.yaml").read_bytes().replace(b"version: '", b"version:  '")
    (pack / "pack.yaml").write_bytes(text)
    verdict = verify_dir(pack, key.public_key())
    assert _lines_with(verdict.problems, "pack.sig:1: the signature does not match")
    assert not verdict.signed


def test_wrong_key_and_missing_signature(pack, key):
    other = signing.parse_public(signing.generate()[1])
    assert _lines_with(verify_dir(pack, other).problems, "signature does not match")
    (pack / "pack.sig").unlink()
    assert _lines_with(verify_dir(pack, key.public_key()).problems, "not signed")
    assert verify_dir(pack).problems == []  # no key given: the signature is not asked for


def test_hash_mismatch_unlisted_missing_and_code(pack):
    body = pack / "platforms" / "demo_site.fixtures" / "home.json"
    body.write_text(body.read_text().replace("Sponsored", "Sponsored!"))
    (pack / "platforms" / "notes.txt").write_text("hi")
    (pack / "platforms" / "run.py").write_text("print(1)")
    (pack / "platforms" / "demo_site.yaml").rename(pack / "platforms" / "demo_site.yml.bak")
    problems = verify_dir(pack).problems
    assert _lines_with(problems, "home.json: SHA-256 differs")
    assert _lines_with(problems, "platforms/notes.txt: not listed")
    assert _lines_with(problems, "platforms/run.py: not a data file")
    assert _lines_with(problems, "platforms/demo_site.yaml: listed in pack.yaml but missing")


def test_a_symlink_in_a_pack_is_refused(pack):
    (pack / "platforms" / "link.yaml").symlink_to("/etc/passwd")
    assert _lines_with(verify_dir(pack).problems, "link.yaml: not a regular file")


def test_a_failing_fixture_is_a_problem(pack):
    case = pack / "platforms" / "demo_site.fixtures" / "home.yaml"
    case.write_text(case.read_text().replace("count: 3", "count: 4"))
    build.write_header(pack, build.existing_fields(pack))  # hashes current: only the case fails
    verdict = verify_dir(pack)
    assert verdict.problems == [f"{case}:5: 3 items, expected 4"]
    assert verdict.result.cases[0].failures == verdict.problems


def test_an_invalid_adapter_is_a_problem(pack):
    adapter = pack / "platforms" / "demo_site.yaml"
    adapter.write_text(adapter.read_text().replace("surface: home", "surfac: home"))
    build.write_header(pack, build.existing_fields(pack))
    assert _lines_with(verify_dir(pack).problems, f"{adapter}:")


# ---- archives -------------------------------------------------------------------------

def test_archive_round_trip_is_reproducible(pack, key, tmp_path):
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    archive.build(pack, first)
    archive.build(pack, second)
    assert first.read_bytes() == second.read_bytes()
    verdict = verify_archive(first, key.public_key())
    assert verdict.problems == [] and verdict.signed
    written = archive.extract(first, tmp_path / "out")
    assert sorted(written) == ["pack.sig", "pack.yaml", *hashes.pack_files(pack)]


def _tar(path: Path, *members: tarfile.TarInfo, data: bytes = b"x: 1\n") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            if member.isfile():
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))
            else:
                tar.addfile(member)
    return path


def _member(name: str, kind=tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("member, reason", [
    (_member("../evil.yaml"), "path leaves the pack"),
    (_member("platforms/../../evil.yaml"), "path leaves the pack"),
    (_member("/etc/evil.yaml"), "absolute path"),
    (_member("platforms/link.yaml", tarfile.SYMTYPE, "/etc/passwd"), "a link"),
    (_member("platforms/hard.yaml", tarfile.LNKTYPE, "pack.yaml"), "a link"),
    (_member("dev.yaml", tarfile.CHRTYPE), "not a regular file"),
    (_member("fifo.yaml", tarfile.FIFOTYPE), "not a regular file"),
    (_member("platforms/code.py"), "not a data file"),
])
def test_unsafe_archives_are_refused_whole(tmp_path, member, reason):
    path = _tar(tmp_path / "bad.tar.gz", _member("pack.yaml"), member)
    with pytest.raises(archive.ArchiveError) as refused:
        archive.extract(path, tmp_path / "out")
    assert reason in str(refused.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.yaml").exists()
    assert _lines_with(verify_archive(path).problems, reason)


def test_an_oversized_archive_is_refused(tmp_path):
    path = _tar(tmp_path / "big.tar.gz", _member("pack.yaml"), _member("a.json"), data=b"0" * 5000)
    with pytest.raises(archive.ArchiveError, match="more than the limit of 6000 bytes"):
        archive.extract(path, tmp_path / "out", max_bytes=6000)
    with pytest.raises(archive.ArchiveError, match="over the limit of 10 bytes"):
        archive.extract(path, tmp_path / "out", max_bytes=10)
    assert not (tmp_path / "out").exists()


def test_a_member_twice_and_a_broken_archive(tmp_path):
    twice = _tar(tmp_path / "twice.tar.gz", _member("pack.yaml"), _member("pack.yaml"))
    with pytest.raises(archive.ArchiveError, match="listed twice"):
        archive.extract(twice, tmp_path / "out")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(archive.ArchiveError, match="not a readable .tar.gz"):
        archive.extract(broken, tmp_path / "out")


# ---- building, the scaffold and the bundled pack --------------------------------------

def test_build_refuses_code_and_asks_for_a_name(tmp_path, key):
    src = tmp_path / "src"
    scaffold.new_platform("demo_site", src)
    (src / "pack.yaml").unlink()
    with pytest.raises(build.BuildError, match="no name"):
        build.build_dir(src, tmp_path / "a", key, {"licence": "MIT"})
    (src / "hook.py").write_text("")
    with pytest.raises(build.BuildError, match="not data files: hook.py"):
        build.build_dir(src, tmp_path / "b", key, {"name": "x-pack", "licence": "MIT"})


def test_scaffold_passes_as_written_and_refuses_a_taken_name(tmp_path):
    target = tmp_path / "my-rules"
    written = scaffold.new_platform("newsite", target)
    assert {p.name for p in written} == {"newsite.yaml", "home.yaml", "home.json", "pack.yaml"}
    verdict = verify_dir(target)
    assert verdict.problems == [] and verdict.header.name == "my-rules"
    assert [(c.case.platform, c.case.name, c.items) for c in verdict.result.cases] == [("newsite", "home", 3)]
    scaffold.new_platform("othersite", target)  # a second one joins the same pack's header
    assert verify_dir(target).problems == []
    for taken in ("newsite", "youtube"):
        with pytest.raises(scaffold.ScaffoldError, match="already exists"):
            scaffold.new_platform(taken, target)
    with pytest.raises(scaffold.ScaffoldError, match="not a platform name"):
        scaffold.new_platform("Bad-Name", target)


def test_default_user_pack_is_in_the_config_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert scaffold.default_pack() == tmp_path / "feedlens" / "packs" / "my-rules"


def test_bundled_pack_header_is_current():
    rules = paths.bundled_rules_dir()
    parsed, problems = header.load_header(rules)
    assert problems == [] and parsed.name == "feedlens-core"
    assert parsed.files == hashes.hash_files(rules), (
        "rules/pack.yaml is stale: run `feedlens rules pack rules --header-only`")
    assert not (rules / "pack.sig").exists()  # trusted as installed; no private key in the repo


def test_every_packs_module_is_core():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    core = {name for c in config["tool"]["importlinter"]["contracts"] for name in c.get("source_modules", [])}
    modules = {f"feedlens.packs.{p.stem}" for p in (ROOT / "proxy/feedlens/packs").glob("*.py")
               if p.stem != "__init__"}
    assert modules | {"feedlens.packs"} <= core


def test_scaffold_into_a_pack_with_a_broken_header_writes_nothing(tmp_path):
    (tmp_path / "pack.yaml").write_text("name: [unclosed\n")
    with pytest.raises(build.BuildError, match="invalid YAML"):
        scaffold.new_platform("newsite", tmp_path)
    assert not (tmp_path / "platforms").exists()
