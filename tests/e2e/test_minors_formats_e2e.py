"""A format budget end to end: `feedlens run --device-auth --rules DIR` as a process, in front of a
small HTTPS upstream of our own whose test adapter (written here, in the temporary rules dir)
declares each item's format. The child's device runs a locked minor profile whose short-video
budget is 0 minutes: its feed shows no short video and every other format; the parent's device
gets the upstream's body unchanged.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import start_feedlens
from .replay import make_certs
from .test_minors_e2e import Device, seed_devices

pytestmark = pytest.mark.e2e

HOST = "api.clips.test"
URL = f"https://{HOST}/feed/home"
ADAPTER = """\
# A test adapter for the format budget's end-to-end test (not shipped).
title: Clips test platform
platform: clips
version: 1
expires: 30 days
homepage: https://example.org
licence: GPL-3.0-or-later
lang: en
relation: original
endpoints:
  - name: home
    match: {host: api.clips.test, path: /feed/home}
    surface: home
    items: data.list
    fields: {id: id, author_id: owner.id, author: owner.name, title: title}
    format:
      - {when: "vertical == `true`", is: short_video, why: "a vertical clip"}
      - {when: "type == 'live'", is: live}
      - {when: "type == 'image'", is: image}
      - {default: video}
    provenance:
      - {when: "owner.following == `true`", is: followed}
      - {default: personalized}
"""
DEFAULT = 'title: Default\nversion: 1\nmark: {title_prefix: "off"}\nrules: []\n'
KID = """\
title: Kid
version: 1
locked: true
mark: {title_prefix: "off"}
rules: []
limits:
  formats:
    short_video: {minutes: 0}
"""
FEED = [  # (id, type, vertical, followed)
    ("s1", "video", True, True), ("v1", "video", False, True), ("s2", "video", True, False),
    ("l1", "live", False, False), ("i1", "image", False, True), ("s3", "video", True, False),
    ("v2", "video", False, False),
]
BODY = json.dumps({"code": 0, "data": {"list": [
    {"id": i, "type": t, "vertical": vertical, "title": f"item {i}",
     "owner": {"id": n, "name": f"owner {n}", "following": followed}}
    for n, (i, t, vertical, followed) in enumerate(FEED)]}}).encode()
SHORTS = {"s1", "s2", "s3"}


class Upstream(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body, status = (BODY, 200) if self.path.startswith("/feed/home") else (b"{}", 404)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream(tmp_path):
    """An HTTPS server for HOST on 127.0.0.1: (its port, the CA that signed it)."""
    certs = tmp_path / "certs"
    ca = make_certs(certs, [HOST])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(upstream, tmp_path):
    port, ca = upstream
    rules = tmp_path / "rules"
    (rules / "platforms").mkdir(parents=True)
    (rules / "profiles").mkdir()
    (rules / "platforms" / "clips.yaml").write_text(ADAPTER)
    (rules / "profiles" / "default.yaml").write_text(DEFAULT)
    (rules / "profiles" / "kid.yaml").write_text(KID)
    # with a lock in the household an unassigned device gets the locked default (deny by
    # default), so the parent's device is assigned its own profile
    seed_devices(tmp_path / "data" / "feedlens.sqlite3", {"user:kid": "kid", "user:parent": "default"})
    instance = start_feedlens(tmp_path, port, ca, "--rules", str(rules), "--profile", "default",
                              "--device-auth", hosts=[HOST])
    try:
        yield instance
    finally:
        instance.proc.stop()


def shown(body: bytes) -> list[str]:
    return [entry["id"] for entry in json.loads(body)["data"]["list"]]


def test_a_zero_short_video_budget_shows_no_short_video_and_every_other_format(proxy):
    kid, parent = Device(proxy, "kid"), Device(proxy, "parent")

    status, _, body = kid.fetch(URL)
    assert status == 200
    assert shown(body) == ["v1", "l1", "i1", "v2"]  # video, live, image and video: in order
    assert SHORTS.isdisjoint(shown(body))
    again = kid.fetch(URL)[2]  # still none later: 0 minutes is spent all day
    assert shown(again) == ["v1", "l1", "i1", "v2"]

    status, _, body = parent.fetch(URL)
    assert status == 200 and body == BODY  # the parent's device: the upstream's body

    health = proxy.health()["minors"]
    assert health["counters"]["format_hidden"] == 2 * len(SHORTS)
    assert health["counters"]["blocked_feeds"] == 0 and health["counters"]["errors"] == 0
    assert health["blocked"] == {}  # a format budget never blocks the whole feed
