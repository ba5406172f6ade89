"""The mitmproxy add-on, driven through mitmproxy's own test helpers (no network but loopback)."""

from __future__ import annotations


import json
import logging
import os
import socket
from pathlib import Path

import aiohttp
import pytest
from mitmproxy import exceptions, http
from mitmproxy.proxy import server_hooks
from mitmproxy.proxy.layers.http import HttpRequestHeadersHook
from mitmproxy.test import taddons, tflow

from feedlens.addons import classify
from feedlens.run import load_addon

from . import addon_support as chain

from .test_runtime import HIDE_ADS, rules  # noqa: F401  (fixture)

DEMO = (Path(__file__).parent / "data" / "demo_home.json").read_bytes()
DEMO_URL = "https://api.demo.test/feed/home?page=1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def addon(rules, tmp_path):  # noqa: F811
    addon = load_addon()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_profile="no-ads", feedlens_service_port=free_port())
        addon.tctx = tctx
        yield addon
    loop = tctx.master.event_loop
    if not loop.is_running():  # taddons made its own loop (no running one); it never closes it
        loop.close()


@pytest.fixture
async def running(addon):
    await chain.running(addon)
    try:
        yield addon
    finally:
        await chain.done(addon)


def flow(body: bytes = DEMO, url: str = DEMO_URL, *, encoding: str | None = None,
         status: int = 200, content_type: str = "application/json") -> http.HTTPFlow:
    response = http.Response.make(status, body, {"content-type": content_type})
    if encoding:
        response.encode(encoding)
    return tflow.tflow(req=http.Request.make("GET", url), resp=response)


async def through(addon, f: http.HTTPFlow) -> http.HTTPFlow:
    """requestheaders, then the response hooks (mitmproxy calls `response` after a stream too)."""
    await chain.fire(addon, HttpRequestHeadersHook(f))
    await chain.response_side(addon, f)
    return f


def ids(body: bytes) -> list[str]:
    return [entry.get("id") for entry in json.loads(body)["data"]["list"]]


# -- configure ----------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, message", [
    ("feedlens_resolve", ["api.demo.test"], "HOST=IP:PORT"),
    ("feedlens_body_cap", 0, "positive"),
    ("feedlens_service_port", 70000, "between"),
    ("feedlens_service_host", "0.0.0.0", "loopback"),
    ("feedlens_profile", "no-such-profile", "feedlens_profile"),
    ("feedlens_rules", "/nonexistent", "platforms"),
    ("feedlens_mark_style", "loud", "loud"),
])
def test_bad_options_are_refused(addon, option, value, message):
    with pytest.raises(exceptions.OptionsError, match=message):
        addon.tctx.configure(addon, **{option: value})


def test_options_are_parsed_once_into_config(addon, rules):  # noqa: F811
    addon.tctx.configure(addon, feedlens_resolve=["API.demo.test=127.0.0.1:8443"], feedlens_body_cap=1000)
    assert addon.config.resolve == {"api.demo.test": ("127.0.0.1", 8443)}
    assert addon.config.body_cap == 1000 and addon.config.rules_dir == rules
    assert addon.runtime is None  # nothing loads before mitmproxy is running


# -- flows ----------------------------------------------------------------------------------------

async def test_feed_response_is_rewritten_and_logged(running):
    f = await through(running, flow())
    assert "v2" not in ids(f.response.content)  # the ad, hidden by no-ads
    assert ids(f.response.content) == ["v1", "v3", "v4", "v5", None]  # the cursor stays
    summary = f.metadata["feedlens"]
    assert summary["platform"] == "demo" and summary["items"] == 5 and summary["hidden"] == 1
    assert summary["changed"] and summary["error"] is None
    await running.runtime.store.flush()
    marks = await running.runtime.store.marks("demo", ["v1", "v2"])
    assert marks["v2"]["provenance"] == "promoted" and marks["v1"]["provenance"] == "followed"
    counters = running.runtime.counters.snapshot()
    assert counters["feed_responses"] == 1 and counters["items_hidden"] == 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
async def test_compressed_feed_is_re_encoded(running, encoding):
    f = await through(running, flow(encoding=encoding))
    assert f.response.headers["content-encoding"] == encoding
    assert "v2" not in ids(f.response.get_content())


@pytest.mark.parametrize("encoding", [None, "br"])
async def test_large_feed_body_is_processed_in_a_worker_process(running, encoding):
    small = await through(running, flow(encoding=encoding))
    assert running.offload.jobs_done == 0  # a small body runs inline
    assert running.offload.started == 0  # and starts no worker: they start with a large body
    # random hex: still over the threshold once compressed (the threshold is on the sent size)
    noise = os.urandom(classify.OFFLOAD_MIN_BYTES).hex().encode()
    padded = DEMO.rstrip()[:-1] + b',"pad":"' + noise + b'"}'
    first = await through(running, flow(padded, encoding=encoding))
    assert running.offload.jobs_done == 0  # the first one runs inline while the workers start
    assert running.offload.started >= 1
    await chain.until_ready(running.offload, running.runtime.engine_spec)
    f = await through(running, flow(padded, encoding=encoding))
    assert running.offload.jobs_done == 1  # this one went to the worker and came back
    assert ids(f.response.get_content()) == ids(first.response.get_content()) \
        == ids(small.response.get_content()) == ["v1", "v3", "v4", "v5", None]
    assert f.metadata["feedlens"]["hidden"] == first.metadata["feedlens"]["hidden"] == 1


async def test_a_crashed_worker_fails_open_and_is_counted(running):
    await chain.workers_ready(running)
    for process in running.offload._processes:  # the worker dies (as by the OOM killer)
        process.kill()
        process.join()
    noise = os.urandom(classify.OFFLOAD_MIN_BYTES).hex().encode()
    padded = DEMO.rstrip()[:-1] + b',"pad":"' + noise + b'"}'
    f = await through(running, flow(padded))
    assert f.response.content == padded  # the original body passed on
    assert f.metadata["feedlens"]["error"].startswith("WorkerFailed")
    assert running.runtime.counters.snapshot()["errors"] == 1
    assert not running.offload.available  # inline for a while; no respawn loop
    again = await through(running, flow(padded))
    assert ids(again.response.content) == ["v1", "v3", "v4", "v5", None]  # processed inline


@pytest.mark.parametrize("length", [None, 10 << 20])
async def test_large_or_unknown_non_feed_bodies_are_streamed(running, length):
    f = flow(b"", "https://cdn.demo.test/video.mp4", content_type="video/mp4")
    f.request = http.Request.make("POST", "https://cdn.demo.test/upload", b"")
    for message in (f.request, f.response):
        del message.headers["content-length"]
        if length:
            message.headers["content-length"] = str(length)
    await through(running, f)
    assert f.request.stream and f.response.stream
    assert "feedlens" not in f.metadata
    assert running.runtime.counters.streamed == 1


async def test_small_non_feed_bodies_pass_buffered_and_untouched(running):
    f = await through(running, flow(b"x" * 100, "https://cdn.demo.test/a.js", content_type="text/javascript"))
    assert not f.response.stream and f.response.content == b"x" * 100
    assert "feedlens" not in f.metadata


async def test_feed_over_the_body_cap_is_streamed(running):
    running.tctx.configure(running, feedlens_body_cap=100)
    f = flow()
    f.response.headers["content-length"] = str(len(DEMO))
    await through(running, f)
    assert f.response.stream


async def test_error_responses_are_not_processed(running):
    f = await through(running, flow(status=500))
    assert f.response.content == DEMO and "feedlens" not in f.metadata


async def test_undecodable_body_fails_open_and_is_logged_once(running, caplog):
    caplog.set_level(logging.WARNING, "feedlens")
    for _ in range(2):
        f = flow()
        f.response.headers["content-encoding"] = "gzip"
        f.response.raw_content = b"\x1f\x8bnot gzip"
        await through(running, f)
        assert f.response.raw_content == b"\x1f\x8bnot gzip"
        assert f.metadata["feedlens"]["error"]
    counters = running.runtime.counters.snapshot()
    assert counters["errors"] == 2 and counters["errors_by_adapter"] == {"demo": 2}
    assert len([r for r in caplog.records if "demo/home failed" in r.getMessage()]) == 1


async def test_engine_error_fails_open(running):
    body = b'{"data":{"list":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    f = await through(running, flow(body))
    assert f.response.content == body
    assert "RecursionError" in f.metadata["feedlens"]["error"]


async def test_replayed_flows_are_left_alone(running):
    f = flow()
    f.live = False
    await through(running, f)
    assert f.response.content == DEMO


# -- connections --------------------------------------------------------------------------------------

async def test_resolve_changes_only_the_address(addon):
    addon.tctx.configure(addon, feedlens_resolve=["api.demo.test=127.0.0.1:8443"])
    data = server_hooks.ServerConnectionHookData(server=tflow.tserver_conn(), client=tflow.tclient_conn())
    data.server.address, data.server.sni = ("API.demo.test", 443), None
    await chain.server_connect(addon, data)
    assert data.server.address == ("127.0.0.1", 8443) and data.server.sni == "API.demo.test"
    other = server_hooks.ServerConnectionHookData(server=tflow.tserver_conn(), client=tflow.tclient_conn())
    other.server.address = ("example.org", 443)
    await chain.server_connect(addon, other)
    assert other.server.address == ("example.org", 443)


async def test_client_tls_failures_are_counted(running):
    from mitmproxy import tls
    from mitmproxy.proxy import context

    client = tflow.tclient_conn()
    client.error = "unknown ca"
    data = tls.TlsData(conn=client, context=context.Context(client, running.tctx.options))
    await chain.tls_failed(running, data)
    assert running.runtime.counters.ca_trusted() is False
    await chain.tls_established(running, data)
    assert running.runtime.counters.ca_trusted() is True


# -- lifecycle ----------------------------------------------------------------------------------------

async def test_running_serves_health_and_options_apply_live(running, tmp_path):
    url = f"http://127.0.0.1:{running.config.service_port}/api/health"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200 and (await response.json())["ok"] is True
    running.tctx.configure(running, feedlens_profile="default")
    assert running.runtime.engine.profile.name == "default"
    with pytest.raises(exceptions.OptionsError, match="restart"):
        running.tctx.configure(running, feedlens_data_dir=str(tmp_path / "elsewhere"))
    assert running.config.data_dir == tmp_path / "data"
