"""The proxy never forwards to its own service, nor a device's request to this machine's
loopback (issue 15, item 4): a 403 block page instead, nothing sent on."""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import start_feedlens
from .test_proxy_e2e import AD, items, rcmd

pytestmark = pytest.mark.e2e


def own_address() -> str:
    """This machine's address on its network: a client from there is a device on the network."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # sends nothing: picks the outgoing address
        address = probe.getsockname()[0]
    assert not address.startswith("127."), "the test needs a network address besides loopback"
    return address


def via_proxy(proxy_port: int, url: str, *, source: str = "127.0.0.1", **headers) -> tuple[int, str]:
    """GET url through the proxy from `source`, as a device there would."""
    proxy = "127.0.0.1" if source.startswith("127.") else source
    conn = http.client.HTTPConnection(proxy, proxy_port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def lan_proxy(replay, certs, tmp_path_factory):
    """feedlens as the README suggests for phones: listening on every interface."""
    instance = start_feedlens(tmp_path_factory.mktemp("own-service"), replay, certs / "ca.pem",
                              "--listen-host", "0.0.0.0", "--profile", "no-ads")
    try:
        yield instance
    finally:
        instance.proc.stop()


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"a loopback-only server")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def loopback_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy_to_the_service_is_refused(lan_proxy):
    result = subprocess.run(["curl", "-sS", "-x", f"http://127.0.0.1:{lan_proxy.proxy_port}", "-w",
                             "\n%{http_code}", f"http://127.0.0.1:{lan_proxy.service_port}/api/health"],
                            capture_output=True, text=True, timeout=60)
    body, _, status = result.stdout.rpartition("\n")
    assert status == "403"
    assert "own companion service" in body and '"ok"' not in body


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1", "0.0.0.0", "OWN"])
def test_every_address_of_the_service_is_refused(lan_proxy, host):
    host = own_address() if host == "OWN" else host
    status, body = via_proxy(lan_proxy.proxy_port, f"http://{host}:{lan_proxy.service_port}/api/health")
    assert status == 403 and "companion service" in body


def test_the_block_page_speaks_chinese_when_asked(lan_proxy):
    status, body = via_proxy(lan_proxy.proxy_port, f"http://localhost:{lan_proxy.service_port}/",
                             **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert status == 403 and "不能通过代理访问" in body and 'lang="zh-CN"' in body


def test_a_tunnel_to_the_service_is_refused(lan_proxy):
    conn = http.client.HTTPConnection("127.0.0.1", lan_proxy.proxy_port, timeout=30)
    conn.set_tunnel("127.0.0.1", lan_proxy.service_port)
    with pytest.raises(OSError, match="403"):
        conn.request("GET", "/api/health")
    conn.close()


def test_a_name_that_resolves_to_this_machine_is_refused_at_the_service_port(lan_proxy):
    name = socket.gethostname()
    assert socket.getaddrinfo(name, None), f"{name} must resolve for this test"
    status, body = via_proxy(lan_proxy.proxy_port, f"http://{name}:{lan_proxy.service_port}/api/health")
    assert status != 200 and "feedlens refuses" in body


def test_devices_on_the_network_cannot_reach_loopback(lan_proxy, loopback_server):
    url, lan = f"http://127.0.0.1:{loopback_server}/", own_address()
    assert via_proxy(lan_proxy.proxy_port, url) == (200, "a loopback-only server")  # this machine
    status, body = via_proxy(lan_proxy.proxy_port, url, source=lan)
    assert status == 403 and "127.0.0.1, localhost" in body
    status, body = via_proxy(lan_proxy.proxy_port, f"http://localhost:{loopback_server}/", source=lan,
                             **{"Accept-Language": "zh"})
    assert status == 403 and "只供运行 feedlens 的电脑自己使用" in body


def test_feeds_still_pass_through_the_proxy_and_are_rewritten(lan_proxy):
    _, body = rcmd(lan_proxy)
    kept = {i.id for i in items(body)}
    assert kept and AD not in kept  # no-ads: the proxy still reads and rewrites the feed


@pytest.mark.parametrize("chunked", [False, True], ids=["2 MiB", "chunked"])
def test_an_upload_to_the_service_is_refused_not_streamed_to_it(lan_proxy, chunked):
    conn = http.client.HTTPConnection("127.0.0.1", lan_proxy.proxy_port, timeout=60)
    body = b"x" * (2 << 20)
    try:
        conn.request("POST", f"http://127.0.0.1:{lan_proxy.service_port}/api/profiles/x",
                     body=iter([body]) if chunked else body, encode_chunked=chunked)
        response = conn.getresponse()
        assert response.status == 403 and b"companion service" in response.read()
    finally:
        conn.close()
    assert lan_proxy.health()["ok"] is True  # the proxy and the service keep answering
