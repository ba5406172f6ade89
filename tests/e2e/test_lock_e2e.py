"""The parent lock end to end (issue 15, items 3 and 3b): real `feedlens run` processes, the
real proxy and store. A restart with `--profile default` keeps the locked profile (until
`feedlens parent unlock` with the PIN); a locked profile whose file is corrupt puts its devices
on the strictest built-in profile, whatever case or new name the child's proxy user has."""

from __future__ import annotations

import io
import shutil

import pytest

from feedlens import paths
from feedlens.cli import main

from .conftest import start_feedlens
from .test_minors_e2e import HOME_URL, Device, seed_devices
from .test_proxy_e2e import AD, RCMD, RCMD_URL, items

pytestmark = pytest.mark.e2e

PIN = "2468"
KID = """title: Kid
version: 1
locked: true
rules:
  - id: no-ads
    when: {provenance: promoted}
    action: hide
"""
HIDDEN = {"promoted", "personalized"}  # what the strict built-in profile hides


@pytest.fixture
def rules(tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), root, ignore=shutil.ignore_patterns("*.fixtures"))
    return root


def parent_cli(monkeypatch, data_dir, *args, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["parent", "--data-dir", str(data_dir), *args])


def test_run_profile_cannot_leave_a_locked_profile_without_the_pin(
        replay, certs, tmp_path, rules, monkeypatch):
    (rules / "profiles" / "kid.yaml").write_text(KID)
    args = (tmp_path, replay, certs / "ca.pem", "--rules", str(rules))
    first = start_feedlens(*args, "--profile", "kid", hosts=["api.bilibili.com"])
    first.proc.stop()
    data_dir = tmp_path / "data"
    assert parent_cli(monkeypatch, data_dir, "set-pin", "--pin-stdin", stdin=f"{PIN}\n") == 0

    again = start_feedlens(*args, "--profile", "default", hosts=["api.bilibili.com"])
    try:
        health = again.health()
        assert health["profile"]["active"] == "kid"
        assert "'default' was not activated" in health["parent_lock"]["refused"]
        assert "needs the parent PIN" in again.proc.output()
        assert AD not in {i.id for i in items(again.fetch(RCMD_URL)[2])}  # still the kid's rules
    finally:
        again.proc.stop()

    assert parent_cli(monkeypatch, data_dir, "unlock", "--pin-stdin", stdin="0000\n") == 1
    assert parent_cli(monkeypatch, data_dir, "unlock", "--pin-stdin", stdin=f"{PIN}\n") == 0
    freed = start_feedlens(*args, "--profile", "default", hosts=["api.bilibili.com"])
    try:
        assert freed.health()["profile"]["active"] == "default"
        assert freed.health()["parent_lock"]["refused"] is None
    finally:
        freed.proc.stop()


def test_a_corrupt_locked_profile_puts_its_devices_on_the_strict_fallback(
        replay, certs, tmp_path, rules):
    (rules / "profiles" / "kid.yaml").write_text(KID + "  - {broken\n")  # says locked, cannot load
    seed_devices(tmp_path / "data" / "feedlens.sqlite3", {"user:kid": "kid"})
    proxy = start_feedlens(tmp_path, replay, certs / "ca.pem", "--rules", str(rules),
                           "--profile", "default", "--device-auth",
                           hosts=["api.bilibili.com", "www.bilibili.com"])
    try:
        original = items(RCMD[4])
        assert HIDDEN & {str(i.provenance) for i in original}  # the fixture has such items
        for user in ("kid", "KID", "kid2"):  # the assigned name, another case, a new name
            status, _, body = Device(proxy, user).fetch(RCMD_URL)
            shown = items(body)
            assert status == 200 and body != RCMD[4]
            assert [i for i in shown if str(i.provenance) in HIDDEN] == []  # 0 of a hidden class
            assert AD not in {i.id for i in shown}
        status, headers, page = Device(proxy, "kid").fetch(HOME_URL, **{"Accept-Language": "en"})
        assert status == 200 and headers["x-feedlens"] == "minors"
        assert "cannot be loaded" in page.decode() and "kid" in page.decode()

        health = proxy.health()
        assert health["parent_lock"]["ok"] is False and "kid" in health["parent_lock"]["fallbacks"]
        assert health["minors"]["counters"]["errors"] == 0
    finally:
        proxy.proc.stop()
