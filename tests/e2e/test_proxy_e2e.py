"""feedlens end to end: `feedlens run` in its own process, a TLS replay server at the platforms'
real hostnames (reached through --resolve), and HTTPS clients that trust mitmproxy's CA."""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

import pytest
from mitmproxy.net import encoding as mitm_encoding

from feedlens import paths, session
from feedlens.adapters import load_adapters
from feedlens.continuations import ContinuationMemory
from feedlens.engine import Engine
from feedlens.profiles import load_profile

from .conftest import BIG_HOST, free_port, start_feedlens, wait_until
from .replay import deep_body, served_cases

pytestmark = pytest.mark.e2e

CASES = served_cases()
RCMD = next(c for c in CASES if c[6].platform == "bilibili" and c[6].name == "web-home-recommend")
RCMD_URL = RCMD[6].data["url"]
FOLLOWED, AD = "BV1Kq2YBpEy7", "BV1xQ4y1k7Zs"  # items of that fixture
MARKS = ("【关注】", "【推荐】", "【热门】")
SEEN_TOKENS = ContinuationMemory()  # what the proxy has seen so far, page by page


def expected_engine() -> Engine:
    """What the proxy runs: shipped adapters, no-ads, title marks on every kept item."""
    profile = dataclasses.replace(load_profile(paths.resolve_profile("no-ads")), title_prefix="all")
    return Engine(load_adapters([paths.platforms_dir()]), profile)


def items(body: bytes) -> list:
    """The items of a web-home-recommend body as the adapter reads them (mark only)."""
    outcome = Engine(load_adapters([paths.platforms_dir()])).process(RCMD[6].request(), body)
    assert outcome.endpoint == "web-home-recommend", outcome.reason
    return outcome.items


def rcmd(feedlens, **headers):
    status, response_headers, body = feedlens.fetch(RCMD_URL, headers)
    assert status == 200
    return response_headers, body


# -- bodies -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[6].platform}/{c[6].name}")
def test_every_fixture_through_the_proxy_is_what_the_engine_makes(feedlens, case):
    host, path, query, key, body, content_type, fixture = case
    request = fixture.request()
    headers = {"content-type": request.content_type} if request.body else {}
    headers.update(fixture.data.get("request_headers", {}))
    status, _, received = feedlens.fetch(fixture.data["url"], headers, request.body)
    # Through the proxy there are always request headers: the session is known (names only),
    # and the viewer's id is read where the adapter says. The proxy remembers the continuation
    # tokens of every page it served this client; so does the expectation, in the same order.
    engine = expected_engine()
    request = dataclasses.replace(request, session=session.from_headers(headers.items()))
    request.viewer = engine.viewer(request, list(headers.items()))
    engine.recall(SEEN_TOKENS, None, request)
    outcome = engine.process(request, body, content_type)
    engine.remember(SEEN_TOKENS, None, outcome)
    assert status == 200
    assert outcome.is_feed and not outcome.error
    assert received == (outcome.body if outcome.changed else body)


def test_ads_hidden_and_titles_marked(feedlens):
    _, body = rcmd(feedlens)
    original = items(RCMD[4])
    received = items(body)
    assert AD in {i.id for i in original}
    assert AD not in {i.id for i in received}
    assert len(received) == len(original) - 1
    assert all(i.title.startswith(MARKS) for i in received)
    followed = next(i for i in received if i.id == FOLLOWED)
    assert followed.title.startswith("【关注】")


DECODE = {"gzip": gzip.decompress, "deflate": zlib.decompress,
          "br": lambda b: __import__("brotli").decompress(b),
          "zstd": lambda b: mitm_encoding.decode(b, "zstd")}  # zstandard or backports.zstd


@pytest.mark.parametrize("encoding", sorted(DECODE))
def test_compressed_bodies_are_rewritten_and_re_encoded(feedlens, encoding):
    _, plain = rcmd(feedlens)
    headers, body = rcmd(feedlens, **{"x-replay-encoding": encoding})
    assert headers["content-encoding"] == encoding
    assert DECODE[encoding](body) == plain


# -- log, API ---------------------------------------------------------------------------------

def rows(feedlens, sql: str, params=()) -> list:
    with sqlite3.connect(f"file:{feedlens.db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_items_are_logged_in_sqlite(feedlens):
    rcmd(feedlens)

    def logged():
        return feedlens.db.exists() and rows(
            feedlens, "SELECT provenance, decision FROM items WHERE item_id = ?", (AD,))
    found = wait_until(logged, 30, "the ad item in the log")
    assert ("promoted", "hide") in found
    responses = rows(feedlens, "SELECT platform, endpoint, url, changed FROM responses "
                               "WHERE endpoint = 'web-home-recommend'")
    assert responses and all(r[0] == "bilibili" and "?" not in r[2] for r in responses)


def test_api_marks_answers_with_the_token_only(feedlens):
    rcmd(feedlens)
    path = f"/api/marks?platform=bilibili&ids={FOLLOWED},{AD}"

    def marks():
        status, body = feedlens.api(path)
        return status == 200 and body if body and len(json.dumps(body)) > 20 else None
    body = wait_until(marks, 30, "marks")
    text = json.dumps(body)
    assert FOLLOWED in text and AD in text and "followed" in text and "promoted" in text
    assert feedlens.api(path, token=False)[0] in (401, 403)
    assert feedlens.api(path, origin="https://evil.example")[0] == 403
    assert feedlens.api("/api/items", token=False)[0] in (401, 403)


# -- failing open -------------------------------------------------------------------------------

def adapter_errors(feedlens) -> int:
    return feedlens.health()["counters"]["errors_by_adapter"].get("bilibili", 0)


@pytest.mark.parametrize("body, expected", [("deep", deep_body()), ("badgzip", b"\x1f\x8b not gzip at all")])
def test_a_body_that_breaks_processing_passes_unchanged(feedlens, body, expected):
    before = adapter_errors(feedlens)
    _, received = rcmd(feedlens, **{"x-replay-body": body})
    assert received == expected
    assert adapter_errors(feedlens) == before + 1
    assert feedlens.health()["counters"]["last_error"]["adapter"] == "bilibili"


# -- streaming ----------------------------------------------------------------------------------

BIG = 300 * 1024 * 1024


def test_large_download_streams_with_flat_memory(feedlens):
    feedlens.fetch(f"https://{BIG_HOST}/__big?size={1 << 20}")  # warm up: TLS, certs, buffers
    before = feedlens.status("VmHWM")
    request = urllib.request.Request(f"https://{BIG_HOST}/__big?size={BIG}")
    received = 0
    with feedlens.opener().open(request, timeout=300) as response:
        while chunk := response.read(1 << 20):
            received += len(chunk)
    growth = feedlens.status("VmHWM") - before
    assert received == BIG
    assert growth < BIG // 6, f"peak memory grew {growth >> 20} MiB while streaming {BIG >> 20} MiB"


# -- interception health, the command line -----------------------------------------------------------

def test_tls_failures_show_in_health(feedlens):
    before = feedlens.health()["interception"]["tls_failures"]
    untrusting = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": f"http://127.0.0.1:{feedlens.proxy_port}"}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()))
    with pytest.raises(urllib.error.URLError):
        untrusting.open(RCMD_URL, timeout=30)
    wait_until(lambda: feedlens.health()["interception"]["tls_failures"] > before, 30, "a TLS failure")
    assert feedlens.health()["interception"]["ca_trusted"] is False
    rcmd(feedlens)
    assert feedlens.health()["interception"]["ca_trusted"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy_gets_marked_items_that_are_logged(feedlens):
    url = RCMD_URL.replace("ps=12", "ps=12&via=curl")
    result = subprocess.run(
        ["curl", "-sS", "--fail", "--cacert", str(feedlens.ca), "-x",
         f"http://127.0.0.1:{feedlens.proxy_port}", url], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    received = items(result.stdout)
    assert all(i.title.startswith(MARKS) for i in received)
    assert AD not in {i.id for i in received}
    logged = wait_until(lambda: rows(feedlens, "SELECT count(*) FROM items i JOIN responses r "
                                               "ON i.response_id = r.id WHERE r.endpoint = ?",
                                     ("web-home-recommend",))[0][0], 30, "curl's items in the log")
    assert logged >= len(items(RCMD[4]))


def test_run_prints_where_everything_is(feedlens):
    output = feedlens.proc.output()
    assert f"http://127.0.0.1:{feedlens.proxy_port}" in output
    assert str(feedlens.ca) in output and feedlens.ca.exists()
    assert f"http://127.0.0.1:{feedlens.service_port}/" in output


def test_run_exits_with_a_message_when_the_service_port_is_taken(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "feedlens.cli", "run", "--data-dir", str(tmp_path / "data"),
             "--listen-port", str(free_port()), "--service-port", str(busy.getsockname()[1])],
            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "already in use" in result.stderr and "--service-port" in result.stderr  # the flag to change
    assert "is running" not in result.stdout


def test_rule_edits_apply_without_restart_and_bad_edits_keep_the_last_good_version(
        replay, certs, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules, ignore=shutil.ignore_patterns("*.fixtures"))
    profile = rules / "profiles" / "mine.yaml"
    profile.write_text("title: Mine\nversion: 1\nrules: []\n")
    instance = start_feedlens(tmp_path, replay, certs / "ca.pem", "--rules", str(rules),
                              "--profile", "mine", hosts=["api.bilibili.com"])
    try:
        assert AD in {i.id for i in items(rcmd(instance)[1])}
        profile.write_text((rules / "profiles" / "no-ads.yaml").read_text())
        wait_until(lambda: AD not in {i.id for i in items(rcmd(instance)[1])}, 30, "the new profile")
        adapter = rules / "platforms" / "bilibili.yaml"
        adapter.write_text(adapter.read_text().replace("endpoints:", "endpoints: [oops", 1))
        wait_until(lambda: instance.health()["adapter_errors"], 30, "the adapter error in health")
        assert AD not in {i.id for i in items(rcmd(instance)[1])}  # the previous adapter still works
        assert any("bilibili.yaml" in e for e in instance.health()["adapter_errors"])
    finally:
        instance.proc.stop()
