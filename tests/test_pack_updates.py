"""Updating subscribed packs (feedlens.packs.updater) from a real local HTTPS server: only a
verified pack is activated, every refusal leaves the previous one in force and says why; the
server's certificate is always verified."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from feedlens import layers
from feedlens.packs import status, subscriptions, updater, versions
from feedlens.packs.subscriptions import Subscription, load_all, save_one

from .pack_server import escaping_archive, make_pack, new_key

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)
ARCHIVE = "packs/gadget-rules.tar.gz"


@pytest.fixture
def server(pack_server):
    """The real local HTTPS pack server (tests/conftest.py)."""
    return pack_server


@pytest.fixture
def home(tmp_path, monkeypatch, user_packs):
    """The user's config and data dirs, fresh per test (packs: the user_packs fixture)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("FEEDLENS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def key():
    return new_key()


def subscribe(server, pubkey: str) -> Subscription:
    sub = Subscription(name="gadget-rules", url=server.url(ARCHIVE), pubkey=pubkey)
    save_one(sub)
    return sub


def active_title(user_packs) -> str:
    return (user_packs / "gadget-rules" / "platforms" / "gadget.yaml").read_text().split("\n")[2]


def installed_v1(home, server, key):
    server.files[ARCHIVE] = make_pack(home, key[0], "1")
    sub = subscribe(server, key[1])
    outcome = updater.update(sub, NOW)
    assert outcome.result == "updated", outcome.message
    return sub


def test_a_valid_signed_update_is_fetched_verified_and_activated(home, server, key, user_packs):
    sub = installed_v1(home, server, key)
    assert versions.active_version("gadget-rules") == "1"
    assert (user_packs / "gadget-rules").is_symlink()
    assert active_title(user_packs) == "title: gadget 1"
    assert [p.label for p in layers.packs_for(None)][-1] == "gadget-rules 1"
    server.files[ARCHIVE] = make_pack(home, key[0], "2")
    outcome = updater.update(sub, NOW)
    assert (outcome.result, outcome.message) == ("updated", f"{server.url(ARCHIVE)}: version 2 verified and active (was 1)")
    assert active_title(user_packs) == "title: gadget 2"
    assert versions.history("gadget-rules") == ["1", "2"]
    assert (sub.last_result, sub.error, sub.failures, sub.version) == ("updated", None, 0, "2")


def test_https_is_verified_against_the_system_cas_or_the_subscriptions_ca_file(home, server, key, monkeypatch, pack_certs):
    assert server.url(ARCHIVE).startswith("https://127.0.0.1:")
    server.files[ARCHIVE] = make_pack(home, key[0], "1")
    monkeypatch.delenv("SSL_CERT_FILE")  # the test CA is trusted nowhere now
    sub = subscribe(server, key[1])
    outcome = updater.update(sub, NOW)
    assert outcome.result == "failed" and "CERTIFICATE_VERIFY_FAILED" in outcome.message
    assert versions.active_version("gadget-rules") is None
    sub.ca_file = str(pack_certs / "ca.pem")  # `rules subscribe --ca-file`: trust exactly this CA
    assert updater.update(sub, NOW).result == "updated"


def test_the_subscriptions_file_is_only_its_owners(home, server, key):
    subscribe(server, key[1])
    path = subscriptions.subscriptions_file()
    assert path == home / "config" / "feedlens" / "subscriptions.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_all()["gadget-rules"].url == server.url(ARCHIVE)


def refusal(home, server, key, user_packs, body: bytes, **limits) -> str:
    sub = installed_v1(home, server, key)
    save_one(sub)
    server.files[ARCHIVE] = body
    outcome = updater.update(sub, NOW, **limits)
    save_one(sub)
    assert not outcome.ok
    assert versions.active_version("gadget-rules") == "1"  # the previous pack stays in force
    assert active_title(user_packs) == "title: gadget 1"
    assert versions.history("gadget-rules") == ["1"]
    assert not [p for p in versions.root("gadget-rules").iterdir() if p.name.startswith(".staging")]
    row, = [r for r in status.rows(load_all(), NOW) if r["name"] == "gadget-rules"]
    assert row["version"] == "1" and row["last_result"] == outcome.result and sub.failures == 1
    assert row["error"] == outcome.message
    return row["error"]


def test_a_bad_signature_is_refused(home, server, key, user_packs):
    other = new_key()
    error = refusal(home, server, key, user_packs, make_pack(home, other[0], "2"))
    assert "pack.sig:1: the signature does not match this public key" in error


def test_a_wrong_hash_is_refused(home, server, key, user_packs):
    def tamper(root):
        body = root / "platforms" / "gadget.fixtures" / "home.json"
        body.write_text(body.read_text().replace('"Shop"', '"Shoppe"'))
    error = refusal(home, server, key, user_packs, make_pack(home, key[0], "2", after_signing=tamper))
    assert "home.json: SHA-256 differs" in error


def test_a_failing_fixture_is_refused(home, server, key, user_packs):
    error = refusal(home, server, key, user_packs, make_pack(home, key[0], "2", failing=True))
    assert "author='u1', expected 'Shop'" in error


def test_a_too_new_min_feedlens_is_refused(home, server, key, user_packs):
    error = refusal(home, server, key, user_packs, make_pack(home, key[0], "2", min_feedlens="99.0"))
    assert "the pack needs feedlens 99.0 or newer" in error


def test_an_oversized_download_is_refused_by_its_length_and_while_streaming(home, server, key, user_packs):
    body = make_pack(home, key[0], "2")
    error = refusal(home, server, key, user_packs, body, max_download=len(body) - 1)
    assert f"the download is {len(body)} bytes, over the limit of {len(body) - 1} bytes" in error
    server.chunked.add(ARCHIVE)  # no Content-Length: the cap stops the stream
    sub = load_all()["gadget-rules"]
    outcome = updater.update(sub, NOW, max_download=len(body) - 1)
    assert "over the limit of" in outcome.message and "stopped reading" in outcome.message
    assert versions.active_version("gadget-rules") == "1"


def test_an_archive_with_dotdot_is_refused(home, server, key, user_packs):
    error = refusal(home, server, key, user_packs, escaping_archive())
    assert "'../evil.yaml': path leaves the pack (`..`)" in error
    assert not (versions.root("gadget-rules").parent / "evil.yaml").exists()


def test_a_304_does_not_download_again(home, server, key):
    sub = installed_v1(home, server, key)
    assert sub.validators[server.url(ARCHIVE)]["etag"]
    outcome = updater.update(sub, NOW)
    assert outcome.result == "not modified"
    assert server.hits[ARCHIVE] == 2 and server.conditional[ARCHIVE] == 1
    assert versions.active_version("gadget-rules") == "1" and sub.failures == 0


def test_a_server_that_is_down_is_asked_once_per_mirror_and_backoff_grows(home, server, key):
    server.files[ARCHIVE] = make_pack(home, key[0], "1", update_urls=(server.url("mirror/"),))
    sub = subscribe(server, key[1])
    assert updater.update(sub, NOW).result == "updated"
    assert sub.urls() == [server.url(ARCHIVE), server.url("mirror/gadget-rules.tar.gz")]
    server.status[ARCHIVE] = server.status["mirror/gadget-rules.tar.gz"] = 503
    waits = []
    for attempt in range(1, 4):
        outcome = updater.update(sub, NOW, rand=0.0)
        assert outcome.result == "failed" and "HTTP 503" in outcome.message
        assert server.hits[ARCHIVE] == 1 + attempt and server.hits["mirror/gadget-rules.tar.gz"] == attempt
        waits.append(subscriptions.parse_stamp(sub.next_try) - NOW)
    assert sub.failures == 3 and waits[0] < waits[1] < waits[2]
    assert not updater.update_due(sub, NOW) and updater.update_due(sub, NOW + waits[2])
    del server.status[ARCHIVE]
    assert updater.update(sub, NOW).ok and sub.failures == 0 and sub.next_try is None


def test_a_server_nobody_listens_on_is_a_failure_with_its_reason(home, server, key):
    server.stop()  # the port is closed now
    sub = subscribe(server, key[1])
    outcome = updater.update(sub, NOW, rand=0.0)
    assert outcome.result == "failed" and f"{server.url(ARCHIVE)}: cannot connect" in outcome.message
    assert sub.failures == 1 and subscriptions.parse_stamp(sub.next_try) - NOW == dt.timedelta(seconds=150)
    assert versions.active_version("gadget-rules") is None


def test_a_pack_directory_of_your_own_made_later_is_never_replaced(home, server, key, user_packs):
    server.files[ARCHIVE] = make_pack(home, key[0], "1")
    (user_packs / "gadget-rules").mkdir()
    (user_packs / "gadget-rules" / "mine.txt").write_text("mine")
    outcome = updater.update(subscribe(server, key[1]), NOW)
    assert outcome.result == "refused" and "is your own pack directory" in outcome.message
    assert (user_packs / "gadget-rules" / "mine.txt").read_text() == "mine"


def test_a_mirror_serves_when_the_first_url_fails(home, server, key, user_packs):
    server.files[ARCHIVE] = make_pack(home, key[0], "1", update_urls=(server.url("mirror/gadget.tgz"),))
    sub = subscribe(server, key[1])
    assert updater.update(sub, NOW).ok
    server.status[ARCHIVE] = 500
    server.files["mirror/gadget.tgz"] = make_pack(home, key[0], "2")
    outcome = updater.update(sub, NOW)
    assert outcome.result == "updated" and outcome.message.startswith(server.url("mirror/gadget.tgz"))
    assert active_title(user_packs) == "title: gadget 2"


def test_rollback_restores_the_previous_version_and_update_does_not_undo_it(home, server, key, user_packs):
    sub = installed_v1(home, server, key)
    with pytest.raises(versions.VersionError, match="no version of gadget-rules before 1 is kept"):
        updater.rollback(sub)
    server.files[ARCHIVE] = make_pack(home, key[0], "2")
    assert updater.update(sub, NOW).result == "updated"
    assert updater.rollback(sub) == "1"
    assert active_title(user_packs) == "title: gadget 1" and sub.version == "1"
    sub.validators.clear()  # even when downloaded again, the version rolled back from is not activated
    outcome = updater.update(sub, NOW)
    assert outcome.result == "refused" and "version 2 was rolled back" in outcome.message
    assert versions.active_version("gadget-rules") == "1"


def test_only_the_last_three_versions_are_kept(home, server, key):
    sub = installed_v1(home, server, key)
    for version in ("2", "3", "4"):
        server.files[ARCHIVE] = make_pack(home, key[0], version)
        assert updater.update(sub, NOW).result == "updated"
    assert versions.history("gadget-rules") == ["2", "3", "4"]
    assert sorted(p.name for p in versions.root("gadget-rules").iterdir() if not p.name.startswith(".")) \
        == ["2", "3", "4", "history.json"]


def test_a_pack_named_otherwise_is_refused(home, server, key):
    server.files[ARCHIVE] = make_pack(home, key[0], "1", name="other-rules")
    outcome = updater.update(subscribe(server, key[1]), NOW)
    assert outcome.result == "refused"
    assert "the pack is named 'other-rules', not 'gadget-rules' (subscribe with --name other-rules)" in outcome.message
    assert versions.active_version("gadget-rules") is None


def test_backoff_is_exponential_jittered_and_capped():
    assert updater.backoff(0) == 0
    assert [updater.backoff(n, rand=0.999999) for n in (1, 2, 3)] == pytest.approx([300, 600, 1200], rel=1e-5)
    assert [updater.backoff(n, rand=0.0) for n in (1, 2, 3)] == [150, 300, 600]
    assert updater.backoff(40, rand=0.5) == pytest.approx(0.75 * updater.BACKOFF_CAP)
    assert updater.backoff(10_000, rand=0.0) == updater.BACKOFF_CAP / 2
    draws = {updater.backoff(4) for _ in range(20)}
    assert len(draws) > 1 and all(1200 <= d <= 2400 for d in draws)


def test_update_due_when_expired_or_backoff_elapsed():
    fresh = Subscription(name="p", url="http://x/p.tar.gz", pubkey="k")
    assert updater.update_due(fresh, NOW)  # never checked
    ok = Subscription(name="p", url="u", pubkey="k", last_ok=subscriptions.stamp(NOW), released="2026-12-06",
                      expires_days=7)
    assert not updater.update_due(ok, NOW + dt.timedelta(days=6))
    assert updater.update_due(ok, NOW + dt.timedelta(days=7))
    stale = Subscription(name="p", url="u", pubkey="k", last_ok=subscriptions.stamp(NOW), released="2026-11-01",
                         expires_days=7)  # expired, and nothing newer at the last check
    assert not updater.update_due(stale, NOW + dt.timedelta(hours=5))
    assert updater.update_due(stale, NOW + dt.timedelta(hours=6))
    failing = Subscription(name="p", url="u", pubkey="k", failures=2, next_try=subscriptions.stamp(NOW + dt.timedelta(minutes=10)),
                           last_ok=subscriptions.stamp(NOW - dt.timedelta(days=30)), expires_days=7)
    assert not updater.update_due(failing, NOW + dt.timedelta(minutes=9))
    assert updater.update_due(failing, NOW + dt.timedelta(minutes=10))


def test_requests_go_directly_not_through_a_proxy(home, server, key, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    installed_v1(home, server, key)
    assert server.hits[ARCHIVE] == 1


def test_status_shows_expired_and_own_packs(home, server, key, user_packs):
    sub = installed_v1(home, server, key)
    save_one(sub)
    later = subscriptions.now_utc() + dt.timedelta(days=40)  # the pack was released today
    own = user_packs / "mine"
    own.mkdir()
    rows = {r["name"]: r for r in status.rows(load_all(), later, bundled=True)}
    assert rows["gadget-rules"]["expired"] and rows["gadget-rules"]["version"] == "1"
    assert rows["mine"]["kind"] == "own" and "no pack header" in rows["mine"]["error"]
    text = "\n".join(status.lines(rows["gadget-rules"]))
    assert "EXPIRED" in text and "last result: updated" in text
    assert os.path.islink(user_packs / "gadget-rules")
    core = rows["feedlens-core"]  # the bundled pack first: its version, age and expiry
    assert core["kind"] == "bundled" and core["version"] and core["age_days"] is not None
    assert "bundled with feedlens" in "\n".join(status.lines(core))


def test_a_feedlens_core_update_signed_with_the_shipped_key_replaces_the_bundled_adapters(home, server, key, user_packs, monkeypatch):
    from feedlens.packs import core_key, manage
    # stand-in for the maintainers' key pair: the test cannot hold their private key
    monkeypatch.setattr(core_key, "CORE_PUBKEY", key[1])
    server.files["packs/feedlens-core.tar.gz"] = make_pack(home, key[0], "2099.1.1", name="feedlens-core")
    sub = manage.subscribe(server.url("packs/feedlens-core.tar.gz"), None)  # no key given: the shipped one
    assert (sub.name, sub.pubkey) == ("feedlens-core", key[1])
    outcome = updater.update(sub, NOW)
    assert outcome.result == "updated", outcome.message
    assert [p.label for p in layers.packs_for(None)][-1] == "feedlens-core 2099.1.1"
