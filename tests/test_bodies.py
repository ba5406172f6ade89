"""The capped decoder (feedlens.bodies): each encoding decodes like mitmproxy's codec below the
cap and stops at it, without producing the whole body first; content types that may hold a feed."""

from __future__ import annotations

import gzip
import os
import resource
import zlib

import brotli
import pytest
import zstandard
from mitmproxy.net import encoding as mitm

from feedlens import bodies

ENCODINGS = ["gzip", "x-gzip", "deflate", "br", "zstd", "identity", None]
BODY = b'{"data":{"list":[' + b",".join(b'{"id":"%d","t":"%s"}' % (i, os.urandom(8).hex().encode())
                                      for i in range(2000)) + b"]}}"


def encode(body: bytes, name: str | None) -> bytes:
    if name in (None, "identity"):
        return body
    return mitm.encode(body, "gzip" if name == "x-gzip" else name)


def zeros_bomb(name: str, size: int) -> bytes:
    """`size` zero bytes compressed without ever holding them (how an attacker makes one)."""
    block = bytes(1 << 20)
    if name == "br":
        c = brotli.Compressor(quality=5)
        return b"".join([c.process(block) for _ in range(size >> 20)] + [c.finish()])
    if name == "zstd":
        c = zstandard.ZstdCompressor().compressobj()
        return b"".join([c.compress(block) for _ in range(size >> 20)] + [c.flush()])
    c = zlib.compressobj(9, wbits=31 if name == "gzip" else 15)
    return b"".join([c.compress(block) for _ in range(size >> 20)] + [c.flush()])


@pytest.mark.parametrize("name", ENCODINGS)
def test_decodes_like_mitmproxy_below_the_cap(name):
    assert bodies.decode(encode(BODY, name), name, len(BODY)) == BODY


@pytest.mark.parametrize("name", ENCODINGS)
def test_one_byte_over_the_cap_is_over_it(name):
    with pytest.raises(bodies.OverCap):
        bodies.decode(encode(BODY, name), name, len(BODY) - 1)


def test_raw_deflate_without_zlib_header_decodes_too():
    c = zlib.compressobj(wbits=-15)
    raw = c.compress(BODY) + c.flush()
    assert bodies.decode(raw, "deflate", len(BODY)) == BODY


def test_every_gzip_member_is_decoded():
    raw = gzip.compress(BODY) + gzip.compress(b"tail")
    assert bodies.decode(raw, "gzip", 1 << 20) == BODY + b"tail"
    with pytest.raises(bodies.OverCap):
        bodies.decode(raw, "gzip", len(BODY) + 3)


def test_zstd_frames_are_read_across():
    raw = mitm.encode(BODY, "zstd") + mitm.encode(b"tail", "zstd")
    assert bodies.decode(raw, "zstd", 1 << 20) == BODY + b"tail"


@pytest.mark.parametrize("name, bad", [(n, b) for n in ("gzip", "deflate", "br", "zstd")
                                       for b in ("truncated", "garbage")
                                       if (n, b) != ("zstd", "truncated")])  # a prefix, as mitmproxy
def test_a_broken_body_is_a_value_error(name, bad):
    raw = encode(BODY, name)
    raw = raw[: len(raw) // 2] if bad == "truncated" else b"\x1f\x8b" + os.urandom(64)
    with pytest.raises(ValueError) as caught:
        bodies.decode(raw, name, 1 << 20)
    assert not isinstance(caught.value, bodies.OverCap)


def test_an_unknown_encoding_is_a_value_error():
    with pytest.raises(ValueError, match="unknown content encoding"):
        bodies.decode(b"x", "compress", 100)


@pytest.mark.parametrize("name", ["gzip", "deflate", "br", "zstd"])
def test_a_bomb_stops_at_the_cap_without_inflating(name):
    """256 MiB of zeros in a few KB stop at a 1 MiB cap; the process never holds the whole."""
    bomb = zeros_bomb(name, 256 << 20)
    assert len(bomb) < 1 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
    with pytest.raises(bodies.OverCap):
        bodies.decode(bomb, name, 1 << 20)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10) - before
    assert growth < 100 << 20, f"peak memory grew {growth >> 20} MiB"


def test_a_zstd_frame_asking_for_a_huge_window_is_refused():
    params = zstandard.ZstdCompressionParameters(window_log=27, enable_ldm=True)
    raw = zstandard.ZstdCompressor(compression_params=params).compressobj()
    frame = raw.compress(BODY) + raw.flush()
    with pytest.raises(ValueError):
        bodies.decode(frame, "zstd", 1 << 30)


@pytest.mark.parametrize("content_type, html, expected", [
    ("application/json; charset=utf-8", False, True),
    ("application/vnd.api+json", False, True),
    ("text/plain", False, True),
    (None, False, True),
    ("text/html; charset=utf-8", False, False),
    ("text/html", True, True),
    ("application/octet-stream", False, False),
    ("application/octet-stream", True, False),
    ("image/png", False, False),
])
def test_only_json_or_declared_html_may_hold_a_feed(content_type, html, expected):
    assert bodies.may_hold_feed(content_type, html) is expected
