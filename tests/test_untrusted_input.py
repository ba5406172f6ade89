"""Untrusted YAML and JSON (issue 15, item 1): one loader that refuses duplicate and non-string
keys everywhere, aliases in profiles and whatever a user submits, and bounds what an adapter's
aliases expand to; JSON bodies with a nesting limit; each refusal a 400 that says why, while
the service (whose event loop the proxy shares) keeps answering."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from feedlens import jsonin, yamlsrc
from feedlens.profiles import ProfileError, load_profile_text
from feedlens.service.parent_guard import profile_locked
from tests.service_support import auth, client, rules_dir, runtime, token  # noqa: F401 (fixtures)

from .conftest import ROOT

pytestmark = pytest.mark.filterwarnings("error")

LOCKED = """\
title: Kid
version: 1
locked: true
limits:
  daily_minutes: 60
  curfew: {from: "22:00", to: "06:00"}
rules: []
"""


def billion_laughs() -> str:
    """~700 bytes that expand to 9**9 strings when every alias is written out."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "title: t\nversion: 1\nrules: []\n" + "\n".join(lines) + "\n"


def refusal(text: str, **kwargs) -> str:
    with pytest.raises(yamlsrc.YamlError) as caught:
        yamlsrc.parse(text, "doc.yaml", **kwargs)
    return str(caught.value)


# ---- the loader ----------------------------------------------------------------------------

def test_duplicate_keys_are_refused_with_their_line():
    assert refusal("locked: true\nrules: []\nlocked: false\n") == "doc.yaml:3: invalid YAML: duplicate key 'locked'"
    assert "duplicate key 'x'" in refusal("a:\n  - {x: 1, x: 2}\n")


@pytest.mark.parametrize("key", ["1", "yes", "null", "1.5", "[a, b]", "{a: 1}"])
def test_keys_must_be_strings(key):
    message = refusal(f"title: t\n{key}: x\n")
    assert message.startswith("doc.yaml:2: invalid YAML: a key must be a string")


def test_quoted_keys_are_strings():
    assert yamlsrc.parse('"1": x\n"yes": y\n').data == {"1": "x", "yes": "y"}


def test_user_documents_refuse_anchors_and_aliases():
    assert "anchors and aliases" in refusal("a: &x 1\nb: *x\n", aliases=False)
    assert "anchors and aliases" in refusal("a: &x 1\n", aliases=False)
    with pytest.raises(ProfileError) as caught:
        load_profile_text(billion_laughs(), "p.yaml", "p")
    assert caught.value.messages == ["p.yaml:4: invalid YAML: anchors and aliases (&name, *name) "
                                     "are not allowed in this file"]


def test_adapter_aliases_stay_allowed_but_bounded():
    shared = "base: &m {host: a.test, path: /x}\nuse:\n  <<: *m\n  path: /y\nalso: *m\n"
    assert yamlsrc.parse(shared).data["use"] == {"host": "a.test", "path": "/y"}
    assert "expands to more than 200000 nodes" in refusal(billion_laughs())
    assert "refers to a node that contains it" in refusal("a: &x [1, *x]\n")


def test_nesting_is_bounded_before_python_recursion_fails():
    assert "nested deeper than 100 levels" in refusal("[" * 100_000)
    assert yamlsrc.parse("[" * 99 + "]" * 99).data is not None
    deep_by_alias = "a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n"
    assert "nested deeper than 100 levels (aliases written out)" in refusal(deep_by_alias)


def test_every_bundled_yaml_file_loads():
    files = [p for p in (ROOT / "rules").rglob("*.yaml")]
    files += list((ROOT / "proxy" / "feedlens" / "messages").glob("*.yaml"))
    assert len(files) > 100
    for path in files:
        yamlsrc.load(path)
    for path in (ROOT / "rules" / "profiles").glob("*.yaml"):
        load_profile_text(path.read_text(encoding="utf-8"), path)  # profiles: without aliases


def test_a_duplicate_locked_key_keeps_the_file_locked(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "kid.yaml").write_text(LOCKED + "locked: false\n", encoding="utf-8")
    assert profile_locked(tmp_path, "kid")


def test_json_nesting_is_bounded():
    assert jsonin.loads(b'{"a": [[["]]]]]]"]]]}') == {"a": [[["]]]]]]"]]]}
    assert jsonin.depth(b"[" * 64 + b"]" * 64) == 64
    for raw in (b"[" * 65 + b"]" * 65, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000):
        with pytest.raises(jsonin.JsonError, match="nested deeper than 64 levels"):
            jsonin.loads(raw)
    with pytest.raises(jsonin.JsonError, match="Expecting value"):
        jsonin.loads(b"[")


def test_the_cli_refuses_an_aliased_profile(tmp_path):
    (tmp_path / "profiles").mkdir()
    bad = tmp_path / "profiles" / "laughs.yaml"
    bad.write_text(billion_laughs(), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "feedlens.cli", "rules", "check", str(bad)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert f"{bad}:4: invalid YAML: anchors and aliases" in result.stdout


# ---- the service -----------------------------------------------------------------------------

async def put_yaml(client, auth, name: str, text: str):
    response = await client.put(f"/api/profiles/{name}", json={"yaml": text}, headers=auth)
    return response.status, await response.json()


async def test_a_billion_laughs_profile_is_a_400_while_health_answers(client, auth, rules_dir):
    # 10 s only guards against a hang (before the fix this request never returned)
    put, health = await asyncio.wait_for(asyncio.gather(
        put_yaml(client, auth, "laughs", billion_laughs()),
        client.get("/api/health", headers=auth)), timeout=10)
    assert put[0] == 400 and put[1]["code"] == "invalid_profile_file"
    assert "anchors and aliases" in put[1]["messages"][0]
    assert health.status == 200 and (await health.json())["ok"] is True
    assert not (rules_dir / "profiles" / "laughs.yaml").exists()


async def test_a_100k_deep_json_body_is_a_400_not_a_500(client, auth):
    for body in (b'{"yaml":' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"[" * 100_000):
        response = await client.put("/api/profiles/deep", data=body, headers={
            **auth, "Content-Type": "application/json"})
        assert response.status == 400
        assert await response.json() == {"error": "request body nests deeper than 64 levels",
                                         "code": "body_too_deep", "messages": []}
    health = await client.get("/api/health", headers=auth)
    assert health.status == 200


async def test_a_deep_json_body_is_refused_in_chinese_too(client, auth):
    response = await client.post("/api/profiles/active", data=b"[" * 1000, headers={
        **auth, "Content-Type": "application/json", "Accept-Language": "zh-CN"})
    assert (await response.json())["error"] == "请求正文嵌套超过 64 层"


@pytest.mark.parametrize("change,message", [
    (lambda t: t.replace("locked: true", "Locked: true"), "unknown key 'Locked' (did you mean 'locked'?)"),
    (lambda t: t + "locked: false\n", "duplicate key 'locked'"),
    (lambda t: t.replace("limits:", "limit:"), "unknown key 'limit' (did you mean 'limits'?)"),
    (lambda t: t.replace('to: "06:00"', 'to: "22:00"'), "`from` and `to` are the same time"),
    (lambda t: t.replace("version: 1", "version: 1\n1: one"), "a key must be a string, not '1'"),
])
async def test_profile_mistakes_that_would_weaken_a_lock_are_refused(client, auth, rules_dir,
                                                                      change, message):
    status, data = await put_yaml(client, auth, "kid", change(LOCKED))
    assert status == 400 and data["code"] == "invalid_profile_file"
    assert any(message in m for m in data["messages"]), data["messages"]
    assert not (rules_dir / "profiles" / "kid.yaml").exists()
    status, _ = await put_yaml(client, auth, "kid", LOCKED)
    assert status == 201  # the same profile without the mistake is accepted
