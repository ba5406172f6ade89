"""Background rule-pack updates through the real `feedlens run` process: an expired subscribed
pack is updated on its own while proxied requests keep answering, and health shows the new
version; each bad update ("update now") is refused with its reason while the previous version
stays in force; a pack server that is down is asked once and then left alone (backoff, not a
storm)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest

from feedlens.packs import updater
from feedlens.packs.subscriptions import save_one

from ..pack_server import escaping_archive, make_pack, new_key
from ..test_pack_background import expire
from ..test_pack_updates import ARCHIVE, home, subscribe  # noqa: F401 (fixtures)
from .conftest import BIG_HOST, start_feedlens, wait_until

TRAFFIC_URL = f"https://{BIG_HOST}/__big?size=4096"


@pytest.fixture
def server(pack_server):
    """The real local HTTPS pack server (tests/conftest.py)."""
    return pack_server


@pytest.fixture
def run_feedlens(home, replay, certs):
    started = []

    def start(*args):
        instance = start_feedlens(home, replay, certs / "ca.pem", "--pack-check-seconds", "1", *args,
                                  hosts=[BIG_HOST])
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.proc.stop()


def row(feedlens) -> dict:
    found, = [r for r in feedlens.health()["pack_updates"]["rows"] if r["name"] == "gadget-rules"]
    return found


class Traffic(threading.Thread):
    """Proxied requests, one after another, until stopped: every answer and failure counted."""

    def __init__(self, feedlens):
        super().__init__(daemon=True)
        self.feedlens, self.ok, self.failures = feedlens, 0, []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                status, _, body = self.feedlens.fetch(TRAFFIC_URL)
                assert status == 200 and len(body) == 4096, (status, len(body))
                self.ok += 1
            except Exception as exc:  # noqa: BLE001 (counted, asserted on by the test)
                self.failures.append(repr(exc))


def test_an_expired_pack_is_updated_on_its_own_while_traffic_flows(home, server, run_feedlens):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    sub = subscribe(server, pub)
    assert updater.update(sub).result == "updated"
    save_one(sub)  # checked just now: not due when feedlens starts
    feedlens = run_feedlens()
    assert row(feedlens)["version"] == "1" and not row(feedlens)["expired"]
    traffic = Traffic(feedlens)
    traffic.start()
    try:
        wait_until(lambda: traffic.ok >= 3, 30, "proxied requests")
        server.files[ARCHIVE] = make_pack(home, key, "2")
        expire()  # now due: the next background round (every second) fetches version 2
        wait_until(lambda: row(feedlens)["version"] == "2", 60, "the background update")
        answered = traffic.ok
        wait_until(lambda: traffic.ok >= answered + 3, 30, "proxied requests after the update")
    finally:
        traffic.halt.set()
        traffic.join(60)
    assert traffic.failures == []
    health = feedlens.health()
    assert row(feedlens)["last_result"] == "updated" and row(feedlens)["expired"] is False
    assert health["pack_updates"]["background"]["counts"]["updated"] == 1
    assert health["pack_updates"]["warnings"] == []
    pack, = [p for p in health["packs"] if p["name"] == "gadget-rules"]
    assert pack["version"] == "2"  # the runtime reloaded: new flows use the new engine
    assert server.hits[ARCHIVE] == 2
    assert "version 2 verified and active (was 1)" in feedlens.proc.output()  # logged


def test_a_server_that_is_down_leads_to_backoff_not_a_storm(home, server, run_feedlens):
    _, pub = new_key()
    server.status[ARCHIVE] = 503
    subscribe(server, pub)
    feedlens = run_feedlens()
    wait_until(lambda: server.hits[ARCHIVE] >= 1, 30, "the first check")
    rounds = feedlens.health()["pack_updates"]["background"]["counts"]["rounds"]
    time.sleep(4)  # four more rounds at one per second
    health = feedlens.health()
    assert health["pack_updates"]["background"]["counts"]["rounds"] >= rounds + 3
    assert server.hits[ARCHIVE] == 1  # asked once; the next try waits for the backoff
    found = row(feedlens)
    assert (found["last_result"], found["failures"]) == ("failed", 1) and "503" in found["error"]
    assert any("last update failed" in w for w in health["pack_updates"]["warnings"])


def test_no_pack_updates_turns_the_background_off(home, server, run_feedlens):
    _, pub = new_key()
    server.status[ARCHIVE] = 503
    subscribe(server, pub)
    feedlens = run_feedlens("--no-pack-updates")
    time.sleep(2)
    background = feedlens.health()["pack_updates"]["background"]
    assert background["enabled"] is False and background["counts"]["rounds"] == 0
    assert server.hits[ARCHIVE] == 0


def update_now(feedlens) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{feedlens.service_port}/api/packs/update",
                                     data=b"{}", method="POST",
                                     headers={"Authorization": f"Bearer {feedlens.token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def bad_updates(home, key) -> list[tuple[bytes, str]]:
    """(archive, the reason the refusal must give) for each way an update can be bad."""
    def tamper(root):
        body = root / "platforms" / "gadget.fixtures" / "home.json"
        body.write_text(body.read_text().replace('"Shop"', '"Shoppe"'))
    return [
        (make_pack(home, new_key()[0], "2"), "the signature does not match this public key"),
        (make_pack(home, key, "2", after_signing=tamper), "SHA-256 differs"),
        (make_pack(home, key, "2", failing=True), "expected 'Shop'"),
        (make_pack(home, key, "2", min_feedlens="99.0"), "the pack needs feedlens 99.0 or newer"),
        (escaping_archive(), "path leaves the pack"),
    ]


def test_each_bad_update_is_refused_with_its_reason_while_traffic_flows(home, server, run_feedlens):
    key, pub = new_key()
    server.files[ARCHIVE] = make_pack(home, key, "1")
    sub = subscribe(server, pub)
    assert updater.update(sub).result == "updated"
    save_one(sub)
    feedlens = run_feedlens("--no-pack-updates")  # only "update now" checks: one per bad pack
    traffic = Traffic(feedlens)
    traffic.start()
    try:
        for archive, reason in bad_updates(home, key):
            server.files[ARCHIVE] = archive
            outcome, = update_now(feedlens)["outcomes"]
            assert (outcome["result"], outcome["ok"]) == ("refused", False), outcome
            assert reason in outcome["message"]
            found = row(feedlens)
            assert found["version"] == "1" and reason in found["error"]  # shown in health
            pack, = [p for p in feedlens.health()["packs"] if p["name"] == "gadget-rules"]
            assert pack["version"] == "1"  # the previous version stays in force
        wait_until(lambda: traffic.ok >= 5, 30, "proxied requests")
    finally:
        traffic.halt.set()
        traffic.join(60)
    assert traffic.failures == []
