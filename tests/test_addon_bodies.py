"""Bounded bodies in the add-on chain (issue 15): a body that is or decodes to more than the cap
passes unchanged and is counted; only JSON (or an endpoint's HTML) is processed; bodies whose
decoded size is not known to be small are decoded in a worker; mitmproxy never buffers past
the cap."""

from __future__ import annotations

import gzip

import brotli
import pytest
from mitmproxy import ctx, http
from mitmproxy.addons.proxyserver import Proxyserver
from mitmproxy.test import taddons
from mitmproxy.proxy.layers.http import (HttpRequestHeadersHook, HttpResponseHeadersHook,
                                         HttpResponseHook)

from feedlens.addons import classify
from feedlens.run import load_addon

from . import addon_support as chain
from .test_addon import DEMO, addon, flow, free_port, ids, running, through  # noqa: F401
from .test_runtime import rules  # noqa: F401  (fixture)


def brotli_bomb(size: int) -> bytes:
    compressor, block = brotli.Compressor(quality=5), bytes(1 << 20)
    return b"".join([compressor.process(block) for _ in range(size >> 20)] + [compressor.finish()])


@pytest.fixture
def with_server(rules, tmp_path):  # noqa: F811
    """The add-on next to mitmproxy's proxy server, which declares stream_large_bodies."""
    addon = load_addon()
    with taddons.context(Proxyserver(), addon) as tctx:
        tctx.configure(addon, feedlens_rules=str(rules), feedlens_data_dir=str(tmp_path / "data"),
                       feedlens_service_port=free_port())
        addon.tctx = tctx
        yield addon
    if not tctx.master.event_loop.is_running():
        tctx.master.event_loop.close()


def test_mitmproxy_streams_every_body_past_the_cap(with_server):
    addon = with_server
    assert ctx.options.stream_large_bodies == str(addon.config.body_cap)
    addon.tctx.configure(addon, feedlens_body_cap=1000)
    assert ctx.options.stream_large_bodies == "1000"  # follows the cap it set
    addon.tctx.configure(addon, feedlens_body_cap=5000)
    assert ctx.options.stream_large_bodies == "5000"
    addon.tctx.configure(addon, stream_large_bodies="100")
    addon.tctx.configure(addon, feedlens_body_cap=6000)
    assert ctx.options.stream_large_bodies == "100"  # the user's smaller value stays


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/octet-stream"])
async def test_a_body_that_is_not_json_on_a_feed_url_passes_unchanged(running, content_type):
    f = await through(running, flow(content_type=content_type))
    assert f.response.content == DEMO
    assert "feedlens" not in f.metadata
    assert running.runtime.counters.feed_responses == 0


async def test_json_on_the_same_url_is_processed(running):
    f = await through(running, flow(content_type="application/json; charset=utf-8"))
    assert "v2" not in ids(f.response.content)


async def test_a_brotli_bomb_passes_unchanged_decoded_in_a_worker(running, monkeypatch):
    bomb = brotli_bomb(256 << 20)  # 256 MiB of zeros in ~500 bytes
    assert len(bomb) < classify.OFFLOAD_MIN_BYTES
    sent = []
    real = running.offload.transform

    async def spy(*args):
        sent.append(args[2])
        return await real(*args)
    monkeypatch.setattr(running.offload, "transform", spy)
    await chain.workers_ready(running)
    f = flow()
    f.response.headers["content-encoding"] = "br"
    f.response.raw_content = bomb
    await through(running, f)
    assert f.response.raw_content == bomb and f.response.headers["content-encoding"] == "br"
    assert sent == [bomb]  # the inline probe gave up at INLINE_DECODED_MAX: a worker decoded it
    summary = f.metadata["feedlens"]
    assert summary["error"] is None and "over the cap" in summary["reason"]
    counters = running.runtime.counters.snapshot()
    assert counters["over_cap"] == 1 and counters["errors"] == 0


async def test_a_compressed_feed_over_a_small_cap_passes_unchanged(running):
    running.tctx.configure(running, feedlens_body_cap=800)
    f = flow(encoding="gzip")
    raw = f.response.raw_content
    assert len(raw) < 800 < len(DEMO)  # only its decoded size is over the cap
    await through(running, f)
    assert f.response.raw_content == raw
    assert "over the cap of 800" in f.metadata["feedlens"]["reason"]
    assert running.runtime.counters.over_cap == 1


async def test_a_feed_mitmproxy_streamed_past_the_cap_is_counted(running):
    f = flow()
    del f.response.headers["content-length"]  # chunked: its size is unknown at the headers
    await chain.fire(running, HttpRequestHeadersHook(f))
    await chain.fire(running, HttpResponseHeadersHook(f))
    assert not f.response.stream  # buffered, as far as the cap
    f.response.stream = True  # mitmproxy's stream_large_bodies, once the buffer passed the cap
    await chain.fire(running, HttpResponseHook(f))
    assert f.response.content == DEMO and "feedlens" not in f.metadata
    counters = running.runtime.counters.snapshot()
    assert counters["over_cap"] == 1 and counters["streamed"] == 1 and counters["feed_responses"] == 0


async def test_a_feed_over_the_cap_by_its_length_is_counted(running):
    running.tctx.configure(running, feedlens_body_cap=100)
    f = await through(running, flow())
    assert f.response.stream and running.runtime.counters.over_cap == 1


@pytest.mark.parametrize("encoding, body, expected", [
    (None, b'{"tab":"home"}', b'{"tab":"home"}'),
    ("gzip", gzip.compress(b'{"tab":"home"}', mtime=0), b'{"tab":"home"}'),
    ("br", brotli_bomb(64 << 20), None),  # past REQUEST_BODY_CAP: not read at all
    ("gzip", b"\x1f\x8b not gzip", None),
    (None, b"x" * (classify.REQUEST_BODY_CAP + 1), None),
])
def test_a_routed_request_body_is_read_only_up_to_its_cap(encoding, body, expected):
    request = http.Request.make("POST", "https://x.demo.test/v2/timeline/home", body)
    if encoding:
        request.headers["content-encoding"] = encoding
    assert classify.request_body(request) == expected


def test_a_streamed_request_has_no_body_to_read():
    request = http.Request.make("POST", "https://x.demo.test/v2/timeline/home", b"")
    request.data.content = None  # as mitmproxy leaves a streamed request
    assert classify.request_body(request) is None
