"""Profiles over the API: list, read, switch, and update with validation and atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from feedlens.files import write_atomic
from tests.service_support import (  # noqa: F401 (fixtures)
    DEFAULT_PROFILE, INVALID_PROFILE, STRICT_PROFILE, auth, client, rules_dir, runtime, token,
)

pytestmark = pytest.mark.filterwarnings("error")

FAILING_CASE = """\
title: Wrong case
version: 1
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
    cases:
      match: [{provenance: followed}]
"""


async def test_list_shows_every_profile_with_the_active_one(client, auth, rules_dir):
    (rules_dir / "profiles" / "broken.yaml").write_text(INVALID_PROFILE)
    data = await (await client.get("/api/profiles", headers=auth)).json()
    assert data["active"] == "default"
    by_name = {p["name"]: p for p in data["profiles"]}
    assert set(by_name) == {"default", "strict", "broken"}
    assert by_name["default"]["active"] and not by_name["strict"]["active"]
    assert by_name["strict"]["title"] == "No ads" and by_name["strict"]["rules"] == 1
    assert by_name["strict"]["description"] == "hides promoted items"
    assert by_name["broken"]["valid"] is False
    assert re.search(r"broken\.yaml:9: ", by_name["broken"]["errors"][0])


async def test_list_offers_a_builtin_default_when_there_is_no_file(client, auth, rules_dir):
    (rules_dir / "profiles" / "default.yaml").unlink()
    data = await (await client.get("/api/profiles", headers=auth)).json()
    default = next(p for p in data["profiles"] if p["name"] == "default")
    assert default["builtin"] is True and default["path"] is None and default["rules"] == 0


async def test_read_one_profile_with_its_yaml(client, auth):
    data = await (await client.get("/api/profiles/strict", headers=auth)).json()
    assert data["yaml"] == STRICT_PROFILE and data["valid"] and data["title"] == "No ads"


@pytest.mark.parametrize("name,status", [("missing", 404), ("..%2Fplatforms%2Fdemo", 400),
                                         ("a.b", 400), ("-x", 400), ("x" * 65, 400),
                                         ("active", 400)])
async def test_read_refuses_unknown_and_unsafe_names(client, auth, name, status):
    response = await client.get(f"/api/profiles/{name}", headers=auth)
    assert response.status == status
    assert "error" in await response.json()


async def test_switch_the_active_profile(client, auth, runtime):
    response = await client.post("/api/profiles/active", json={"name": "strict"}, headers=auth)
    assert response.status == 200
    assert (await response.json())["active"] == "strict"
    assert runtime.engine.profile.name == "strict"
    listed = await (await client.get("/api/profiles", headers=auth)).json()
    assert listed["active"] == "strict"


async def test_switching_to_an_unknown_profile_is_404(client, auth, runtime):
    response = await client.post("/api/profiles/active", json={"name": "nope"}, headers=auth)
    assert response.status == 404
    assert runtime.engine.profile.name == "default"


async def test_switching_to_an_invalid_profile_keeps_the_current_one(client, auth, runtime, rules_dir):
    (rules_dir / "profiles" / "broken.yaml").write_text(INVALID_PROFILE)
    response = await client.post("/api/profiles/active", json={"name": "broken"}, headers=auth)
    assert response.status == 400
    data = await response.json()
    assert any(re.search(r"broken\.yaml:9: ", m) for m in data["messages"])
    assert runtime.engine.profile.name == "default"


# ---- updates -------------------------------------------------------------------------------

async def test_update_writes_the_file_and_reloads_when_active(client, auth, runtime, rules_dir):
    await client.post("/api/profiles/active", json={"name": "strict"}, headers=auth)
    text = STRICT_PROFILE.replace("title: No ads", "title: No ads at all")
    response = await client.put("/api/profiles/strict", json={"yaml": text}, headers=auth)
    assert response.status == 200
    data = await response.json()
    assert data == {"name": "strict", "path": str(rules_dir / "profiles" / "strict.yaml"),
                    "created": False, "active": True, "reloaded": True, "rules": 1}
    assert (rules_dir / "profiles" / "strict.yaml").read_text() == text
    assert runtime.engine.profile.title == "No ads at all"  # the running engine took it


async def test_update_of_an_inactive_profile_does_not_reload(client, auth, runtime):
    engine = runtime.engine
    response = await client.put("/api/profiles/strict", json={"yaml": STRICT_PROFILE}, headers=auth)
    assert (await response.json())["reloaded"] is None
    assert runtime.engine is engine  # a reload builds a new engine


async def test_create_a_profile_from_an_object(client, auth, rules_dir):
    profile = {"title": "Kids", "version": 1, "mark": {"title_prefix": "all"},
               "rules": [{"id": "only-followed", "when": {"provenance": "followed"},
                          "action": "allow_only"}]}
    response = await client.put("/api/profiles/kids", json={"profile": profile}, headers=auth)
    assert response.status == 201
    assert (await response.json())["created"] is True
    written = (rules_dir / "profiles" / "kids.yaml").read_text()
    assert "title: Kids" in written and "only-followed" in written
    read = await (await client.get("/api/profiles/kids", headers=auth)).json()
    assert read["valid"] and read["title_prefix"] == "all"


@pytest.mark.parametrize("text,pattern", [
    (INVALID_PROFILE, r"strict\.yaml:9: rules\.1\.action"),
    ("title: [unclosed\n", r"strict\.yaml:\d+: invalid YAML"),
    ("title: x\nrules: []\n", r"strict\.yaml:1: .*version"),
    (FAILING_CASE, r"strict\.yaml:4: rule no-ads should match"),
    ("title: x\nversion: 1\nrules:\n  - {id: r, action: hide, when: {regex: '(a+)+\\1'}}\n",
     r"strict\.yaml:4: "),
])
async def test_an_invalid_update_is_refused_with_file_line_and_keeps_the_file(
        client, auth, runtime, rules_dir, text, pattern):
    path = rules_dir / "profiles" / "strict.yaml"
    engine = runtime.engine
    response = await client.put("/api/profiles/strict", json={"yaml": text}, headers=auth)
    assert response.status == 400
    data = await response.json()
    assert "not changed" in data["error"]
    assert any(re.search(pattern, m) for m in data["messages"]), data["messages"]
    assert path.read_text() == STRICT_PROFILE
    assert runtime.engine is engine


@pytest.mark.parametrize("body,message", [
    ({}, "exactly one"),
    ({"yaml": DEFAULT_PROFILE, "profile": {}}, "exactly one"),
    ({"yaml": 5}, "'yaml' must be a string"),
    ({"profile": "title: x"}, "'profile' must be an object"),
    ({"text": DEFAULT_PROFILE}, "unknown field(s): text"),
])
async def test_update_bodies_are_validated(client, auth, body, message):
    response = await client.put("/api/profiles/strict", json=body, headers=auth)
    assert response.status == 400
    assert message in (await response.json())["error"]


async def test_update_refuses_unsafe_names(client, auth, rules_dir):
    for name in ("..%2F..%2Fescape", "a.yaml", "active"):
        response = await client.put(f"/api/profiles/{name}", json={"yaml": DEFAULT_PROFILE},
                                    headers=auth)
        assert response.status in (400, 404)
    assert not list(rules_dir.parent.glob("escape*"))
    assert sorted(p.name for p in (rules_dir / "profiles").iterdir()) == ["default.yaml", "strict.yaml"]


# ---- atomic write --------------------------------------------------------------------------

def test_write_atomic_replaces_via_a_temp_file_and_keeps_the_mode(tmp_path, monkeypatch):
    path = tmp_path / "p.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    replaced = []
    original = os.replace

    def spy(src, dst):
        replaced.append((os.path.basename(src), os.path.basename(dst), Path(src).read_text()))
        return original(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(path, "new")
    [(src, dst, content)] = replaced
    assert src.startswith(".p.yaml.") and src.endswith(".tmp") and dst == "p.yaml"
    assert content == "new\n"  # complete before it became visible
    assert path.read_text() == "new\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.yaml"
    path.write_text("old\n")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, "new")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]
