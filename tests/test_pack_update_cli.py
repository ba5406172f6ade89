"""`feedlens rules subscribe|update|status|rollback|unsubscribe` as real subprocesses against a
local pack server; and a subscribed pack never weakens a locked profile."""

from __future__ import annotations

import json

import pytest

from feedlens.packs import updater, versions
from feedlens.packs.subscriptions import Subscription
from feedlens.service import parent_guard

from .pack_server import make_pack, new_key
from .test_pack_layering import base_rules, runtime
from .test_packs_cli import feedlens, one_line_error

ARCHIVE = "p/gadget-rules.tar.gz"


@pytest.fixture
def server(pack_server):
    """The real local HTTPS pack server (tests/conftest.py)."""
    return pack_server


@pytest.fixture
def env(tmp_path, user_packs):
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "FEEDLENS_DATA_DIR": str(tmp_path / "data"),
            "FEEDLENS_PACKS": str(user_packs)}


def status(env) -> dict:
    shown = feedlens("rules", "status", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    return {row["name"]: row for row in json.loads(shown.stdout)["packs"]}


def test_subscribe_update_refuse_status_rollback_unsubscribe(tmp_path, server, env, user_packs):
    key, pub = new_key()
    (tmp_path / "pack.pub").write_text(pub + "\n")
    server.files[ARCHIVE] = make_pack(tmp_path, key, "1")
    made = feedlens("rules", "subscribe", server.url(ARCHIVE), "--pubkey", tmp_path / "pack.pub", env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "gadget-rules: updated: " in made.stdout and "version 1 verified and active" in made.stdout
    assert (user_packs / "gadget-rules" / "pack.yaml").is_file()

    same = feedlens("rules", "update", env=env)
    assert same.returncode == 0 and "gadget-rules: not modified" in same.stdout
    assert server.hits[ARCHIVE] == 2

    server.files[ARCHIVE] = make_pack(tmp_path, key, "2", failing=True)
    bad = feedlens("rules", "update", "gadget-rules", env=env)
    assert bad.returncode == 1 and "gadget-rules: refused: " in bad.stdout
    row = status(env)["gadget-rules"]
    assert (row["version"], row["last_result"], row["failures"]) == ("1", "refused", 1)
    assert "expected 'Shop'" in row["error"]
    text = feedlens("rules", "status", env=env).stdout
    assert "gadget-rules 1: released" in text and "last result: refused" in text and "error: " in text

    server.files[ARCHIVE] = make_pack(tmp_path, key, "2")
    assert feedlens("rules", "update", env=env).returncode == 0
    assert status(env)["gadget-rules"]["version"] == "2"
    back = feedlens("rules", "rollback", env=env)
    assert back.returncode == 0 and "rolled back from 2 to 1" in back.stdout
    assert status(env)["gadget-rules"]["version"] == "1"
    one_line_error(feedlens("rules", "rollback", "gadget-rules", env=env), "no version of gadget-rules before 1 is kept")

    gone = feedlens("rules", "unsubscribe", "gadget-rules", env=env)
    assert gone.returncode == 0 and not (user_packs / "gadget-rules").exists()
    assert list(status(env)) == ["feedlens-core"]  # only the bundled pack is left


def test_subscribe_refuses_without_a_key_or_over_your_own_pack(tmp_path, server, env, user_packs):
    one_line_error(feedlens("rules", "subscribe", server.url(ARCHIVE), env=env), "needs the publisher's public key")
    one_line_error(feedlens("rules", "subscribe", "ftp://x/y.tar.gz", "--pubkey", "k", env=env), "not an http(s) URL")
    (user_packs / "gadget-rules").mkdir()
    _, pub = new_key()
    one_line_error(feedlens("rules", "subscribe", server.url(ARCHIVE), "--pubkey", pub, env=env), "is your own pack")
    one_line_error(feedlens("rules", "update", "nope", env=env), "no subscription named nope")
    assert server.hits[ARCHIVE] == 0


def test_a_subscribed_pack_never_weakens_a_locked_profile(tmp_path, server, user_packs, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("FEEDLENS_DATA_DIR", str(tmp_path / "data"))
    rules = base_rules(tmp_path / "rules")
    locked_before = (rules / "profiles" / "kid.yaml").read_text()
    key, pub = new_key()
    sub = Subscription(name="gadget-rules", url=server.url(ARCHIVE), pubkey=pub)
    server.files[ARCHIVE] = make_pack(tmp_path, key, "1")
    assert updater.update(sub).ok
    rt = runtime(tmp_path, rules)
    server.files[ARCHIVE] = make_pack(tmp_path, key, "2", profiles={
        "kid.yaml": "title: Kid, weakened\nversion: 2\nrules: []\n"})
    outcome = updater.update(sub)
    assert outcome.result == "updated", outcome.message
    assert (user_packs / "gadget-rules" / "profiles" / "kid.yaml").is_file()  # in the active pack
    rt.reload()
    assert {p["name"]: p["version"] for p in rt.health()["packs"]}["gadget-rules"] == "2"
    assert rt.profile_path("kid") == rules / "profiles" / "kid.yaml"
    assert parent_guard.profile_locked(rules, "kid")
    assert (rules / "profiles" / "kid.yaml").read_text() == locked_before
    assert any("profile 'kid' of pack 'gadget-rules' is not offered" in n for n in rt.health()["pack_notices"])
    assert versions.active_version("gadget-rules") == "2"


def test_subscribe_with_a_ca_file_trusts_that_ca(tmp_path, server, env, monkeypatch, pack_certs):
    monkeypatch.delenv("SSL_CERT_FILE")  # the subprocesses trust the test CA only through --ca-file
    key, pub = new_key()
    (tmp_path / "pack.pub").write_text(pub + "\n")
    server.files[ARCHIVE] = make_pack(tmp_path, key, "1")
    (tmp_path / "not-a-ca.pem").write_text("nothing here\n")
    one_line_error(feedlens("rules", "subscribe", server.url(ARCHIVE), "--pubkey", tmp_path / "pack.pub",
                            "--ca-file", tmp_path / "not-a-ca.pem", env=env), "cannot be read as PEM certificates")
    made = feedlens("rules", "subscribe", server.url(ARCHIVE), "--pubkey", tmp_path / "pack.pub",
                    "--ca-file", pack_certs / "ca.pem", env=env)
    assert made.returncode == 0 and "version 1 verified and active" in made.stdout, made.stdout + made.stderr
    assert status(env)["gadget-rules"]["version"] == "1"


def test_feedlens_core_is_checked_with_the_key_that_ships_with_feedlens(tmp_path, server, env):
    key, pub = new_key()  # anyone's key: not the maintainers' (core_key.CORE_PUBKEY)
    server.files["p/feedlens-core.tar.gz"] = make_pack(tmp_path, key, "2099.1.1", name="feedlens-core")
    one_line_error(feedlens("rules", "subscribe", server.url("p/feedlens-core.tar.gz"), "--pubkey", pub,
                            env=env), "signed with the key that ships with feedlens")
    assert server.hits["p/feedlens-core.tar.gz"] == 0

    made = feedlens("rules", "subscribe", server.url("p/feedlens-core.tar.gz"), env=env)  # no --pubkey
    assert "feedlens-core: refused: " in made.stdout and "signature" in made.stdout
    row = status(env)["feedlens-core"]
    assert row["last_result"] == "refused"
