"""extension/build.py: the manifest's content-script matches and generated/platforms.js follow the
adapters, and the committed copies are not stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedlens.adapters import AdapterError, compile_adapter, load_adapters
from feedlens.yamlsrc import parse

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "extension"


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "extension" / "build.py"), *args],
                          capture_output=True, text=True, cwd=root)


def content_matches() -> list[str]:
    manifest = json.loads((EXT / "manifest.json").read_text(encoding="utf-8"))
    return [m for script in manifest["content_scripts"] for m in script["matches"]]


def covers(pattern: str, host: str) -> bool:
    """Chromium's match-pattern rule for the host part: "*.x.com" is x.com and its subdomains."""
    scheme, _, rest = pattern.partition("://")
    assert scheme == "https" and rest.endswith("/*"), pattern
    wanted = rest[:-2]
    if wanted.startswith("*."):
        return host == wanted[2:] or host.endswith(wanted[1:])
    return host == wanted


def test_committed_manifest_and_generated_js_are_up_to_date():
    result = build(ROOT, "--check")
    assert result.returncode == 0, f"run `python extension/build.py`:\n{result.stdout}{result.stderr}"


@pytest.fixture
def copy(tmp_path) -> Path:
    """The extension and the adapters in a scratch tree: build.py finds both next to itself."""
    shutil.copytree(EXT, tmp_path / "extension")
    shutil.copytree(ROOT / "rules" / "platforms", tmp_path / "rules" / "platforms")
    shutil.copy(ROOT / "rules" / "vocabulary.yaml", tmp_path / "rules" / "vocabulary.yaml")
    return tmp_path


def test_check_names_the_stale_files_and_a_build_refreshes_them(copy):
    adapter = copy / "rules" / "platforms" / "douyin.yaml"
    adapter.write_text(adapter.read_text(encoding="utf-8").replace(
        "host: www.douyin.com", "host: [www.douyin.com, www.iesdouyin.example]", 1), encoding="utf-8")
    stale = build(copy, "--check")
    assert stale.returncode == 1
    assert "extension/manifest.json" in stale.stdout
    assert "extension/generated/platforms.js" in stale.stdout
    assert build(copy).returncode == 0
    assert build(copy, "--check").returncode == 0
    manifest = json.loads((copy / "extension" / "manifest.json").read_text(encoding="utf-8"))
    assert "https://*.iesdouyin.example/*" in manifest["content_scripts"][0]["matches"]
    assert "iesdouyin.example" in (copy / "extension" / "generated" / "platforms.js").read_text()


def test_build_keeps_the_hand_edited_rest_of_the_manifest(copy):
    manifest = copy / "extension" / "manifest.json"
    committed = manifest.read_text(encoding="utf-8")
    edited = committed.replace('"version": "0.1.0"', '"version": "9.9.9"')
    manifest.write_text(edited.replace('"https://bsky.app/*", ', ""), encoding="utf-8")
    assert build(copy).returncode == 0
    assert manifest.read_text(encoding="utf-8") == edited  # the match is back, the edit stays


def test_an_adapter_matching_any_host_without_pages_is_refused(copy):
    adapter = copy / "rules" / "platforms" / "bluesky.yaml"
    adapter.write_text(adapter.read_text(encoding="utf-8").replace("pages: [bsky.app]\n", ""),
                       encoding="utf-8")
    result = build(copy, "--check")
    assert result.returncode != 0 and "bluesky" in result.stderr + result.stdout


def test_every_adapter_host_is_covered_by_a_content_script_match():
    # Read with the proxy's own loader, not build.py: the two must agree.
    adapters = load_adapters([ROOT / "rules" / "platforms"]).adapters
    matches = content_matches()
    uncovered = [(a.platform, host) for a in adapters for e in a.endpoints for host in e.hosts
                 if host != "*" and not any(covers(m, host) for m in matches)]
    assert not uncovered


def test_adapters_matching_any_host_name_their_pages_and_the_manifest_covers_them():
    adapters = {a.platform: a for a in load_adapters([ROOT / "rules" / "platforms"]).adapters}
    matches = content_matches()
    for platform in ("bluesky", "mastodon"):
        assert any(h == "*" for e in adapters[platform].endpoints for h in e.hosts), platform
    for platform, page in (("bluesky", "bsky.app"), ("mastodon", "mastodon.social"),
                           ("xiaohongshu", "www.xiaohongshu.com"), ("bilibili", "t.bilibili.com")):
        assert any(covers(m, page) for m in matches), (platform, page)
    assert not any(covers(m, "example.org") for m in matches)


HEADER = ("title: T\nplatform: t\nversion: 1\nexpires: 30 days\nhomepage: https://e.org\n"
          "licence: GPL-3.0-or-later\n")
ENDPOINTS = """endpoints:
  - name: home
    match: {host: "*", path: /feed}
    surface: home
    items: data.list
    fields: {id: id}
    provenance:
      - {default: personalized}
"""


def test_the_adapter_schema_takes_page_hosts_and_refuses_anything_else():
    assert compile_adapter(parse(HEADER + "pages: [social.example, '*.example.net']\n" + ENDPOINTS, "t.yaml"))
    for bad in ("[https://social.example/]", "[]", "social.example"):
        with pytest.raises(AdapterError, match="pages"):
            compile_adapter(parse(HEADER + f"pages: {bad}\n" + ENDPOINTS, "t.yaml"))
