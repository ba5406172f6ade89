"""Bounded bodies: decode a body as its Content-Encoding says, stopping at a cap, and tell
which content types may hold a feed at all.

A compressed body says nothing about its decoded size: 1.6 KB of brotli inflate to 1 GiB.
So every decoder here works in steps whose output is bounded and gives up (OverCap) as soon
as the output passes the cap; the caller then passes the original body on unchanged.
"""

from __future__ import annotations

import gzip
import io
import zlib

STEP = 1 << 20  # decoded bytes asked of zlib and zstd per step
# brotli 1.1 (mitmproxy pins it) has no output limit per call, so it gets a few input bytes
# at a time: brotli's densest encoding yields at most one 16 MiB meta-block per input byte
# boundary plus ~2 MiB per byte, which bounds one step's output to ~50 MiB.
BROTLI_STEP = 16
# RFC 9659: a zstd content coding needs no window over 8 MiB (browsers refuse larger ones too);
# a frame asking for more would make the decoder allocate it.
ZSTD_MAX_WINDOW = 8 << 20

# mitmproxy's defaults (brotli 11, gzip 9) cost ~0.6 s and ~30 ms on a 1 MB page; these cost
# ~5 ms for output within ~15% of the size.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6

JSON_TYPES = ("application/json", "text/json", "text/plain", "text/javascript",
              "application/javascript", "application/x-javascript")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class OverCap(ValueError):
    """The body decodes to more than the cap (it may still be a valid body)."""

    def __init__(self, cap: int):
        super().__init__(cap)  # args = (cap,): it crosses from a worker process intact
        self.cap = cap

    def __str__(self) -> str:
        return f"decoded body is over the cap of {self.cap} bytes"


def decode(raw: bytes, content_encoding: str | None, cap: int) -> bytes:
    """The decoded body; OverCap past `cap` decoded bytes, ValueError if it does not decode
    as its Content-Encoding says (or names an encoding we do not know)."""
    name = (content_encoding or "identity").strip().lower()
    if name in ("identity", "none", ""):
        if len(raw) > cap:
            raise OverCap(cap)
        return raw
    decoder = _DECODERS.get(name)
    if decoder is None:
        raise ValueError(f"unknown content encoding {content_encoding!r}")
    out = _Output(cap)
    try:
        decoder(raw, out)
    except OverCap:
        out.parts.clear()  # the partial output is garbage now: free it before anyone waits
        raise
    except Exception as exc:  # zlib.error, brotli.error, zstd.ZstdError: as mitmproxy says
        raise ValueError(f"invalid {name} body: {exc}") from None
    return out.result()


class _Output:
    def __init__(self, cap: int):
        self.cap, self.size, self.parts = cap, 0, []

    def add(self, data: bytes) -> None:
        if data:
            self.size += len(data)
            if self.size > self.cap:
                raise OverCap(self.cap)
            self.parts.append(data)

    @property
    def room(self) -> int:
        """How much more may come, plus one byte to notice passing the cap."""
        return self.cap - self.size + 1

    def result(self) -> bytes:
        body = b"".join(self.parts)
        self.parts.clear()
        return body


def _zlib(raw: bytes, out: _Output, wbits: int) -> None:
    """Every member (gzip allows several), each asked for at most STEP bytes at a time."""
    data = raw
    while True:
        stream = zlib.decompressobj(wbits)
        while data and not stream.eof:
            out.add(stream.decompress(data, min(STEP, out.room)))
            data = stream.unconsumed_tail
        if not stream.eof:
            out.add(stream.flush())  # a few bytes held back at most
        if not stream.eof:
            raise ValueError("compressed data ended early")  # as zlib.decompress says
        data = stream.unused_data
        if not data or wbits != 31:
            return


def _gzip(raw: bytes, out: _Output) -> None:
    _zlib(raw, out, 31)


def _deflate(raw: bytes, out: _Output) -> None:
    """zlib-wrapped deflate as the RFC says, else raw deflate, as servers send (and mitmproxy)."""
    try:
        _zlib(raw, out, 15)
    except zlib.error:
        out.parts.clear()
        out.size = 0
        _zlib(raw, out, -15)


def _brotli(raw: bytes, out: _Output) -> None:
    import brotli

    decoder, view = brotli.Decompressor(), memoryview(raw)
    for start in range(0, len(view), BROTLI_STEP):
        out.add(decoder.process(view[start:start + BROTLI_STEP]))
    if not decoder.is_finished():
        raise ValueError("brotli data ended early")


def _zstd(raw: bytes, out: _Output) -> None:
    import zstandard

    decoder = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    with decoder.stream_reader(io.BytesIO(raw), read_across_frames=True) as reader:
        while chunk := reader.read(min(STEP, out.room)):
            out.add(chunk)


_DECODERS = {"gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd}


def encode(body: bytes, content_encoding: str | None) -> bytes:
    """The body encoded as its Content-Encoding says (a rewritten body goes out as it came)."""
    name = (content_encoding or "identity").strip().lower()
    if name == "br":
        import brotli
        return brotli.compress(body, quality=BROTLI_QUALITY)
    if name in ("gzip", "x-gzip"):
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    from mitmproxy.net import encoding  # zstd, deflate, identity as mitmproxy writes them
    return encoding.encode(body, name)


def media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def may_hold_feed(content_type: str | None, html: bool = False) -> bool:
    """Only JSON (and the text types platforms send JSON as) can hold a feed; HTML only where
    an endpoint reads `body: html`. No type at all: the engine finds out (it parses strictly).
    Anything else (application/octet-stream, images, a text/html page on a JSON URL) passes."""
    kind = media_type(content_type)
    if not kind or kind in JSON_TYPES or kind.endswith("+json"):
        return True
    return html and kind in HTML_TYPES
