"""Mutated feed bodies for the soak (benchmarks/soak.py): cheap, seeded, each labelled with
what the proxy must do with it.

A mutant is built in two layers: a *content* mutation of the decoded body (truncation, type
swaps, deleted or renamed keys, huge arrays, deep nesting, bad bytes, other charsets, huge
numbers, NaN) and a *transport* mutation of how it is sent (Content-Type, Content-Encoding,
compression, bombs, empty). The transport layer knows when a body must pass unchanged (not
JSON by its type, undecodable, over the cap); whether the content is still JSON is judged
afterwards by a strict parser (soak.expect_unchanged), not by the mutation's own guess.
"""

from __future__ import annotations

import codecs
import gzip
import json
import random
import zlib
from dataclasses import dataclass

import brotli
import zstandard

CAP = 16 << 20  # feedlens_body_cap's default
DEEP = 10_000  # deepest nesting tried


@dataclass
class Seed:
    """One fixture (or corpus) body with its request, parsed once."""

    name: str
    method: str
    url: str
    request_body: bytes | None
    content_type: str
    body: bytes
    doc: object = None  # the parsed JSON, None for an HTML page


@dataclass
class Mutant:
    kind: str  # "content+transport", for the report
    raw: bytes  # as sent
    decoded: bytes | None  # what it decodes to (None: it does not, or past the cap)
    content_type: str | None
    content_encoding: str | None
    must_pass: str | None  # why the transport alone means it must pass unchanged


# -- content mutations (decoded body -> decoded body, plus the charset it is in) --------------

def _paths(doc, rng: random.Random, want: str | None = None):
    """A random walk into doc: (container, key) of a node, preferring ones of type `want`."""
    node, parent, key, found = doc, None, None, None
    for _ in range(rng.randint(1, 12)):
        if isinstance(node, dict) and node:
            parent, key = node, rng.choice(list(node))
        elif isinstance(node, list) and node:
            parent, key = node, rng.randrange(len(node))
        else:
            break
        node = parent[key]
        if want is None or (want == "dict" and isinstance(parent, dict)) or \
                (want == "list" and isinstance(node, list)):
            found = (parent, key)
    return found


def _edit(seed: Seed, rng: random.Random, change) -> bytes:
    """Change the parsed document in place, serialise it, put it back as it was."""
    spot = _paths(seed.doc, rng, getattr(change, "want", None))
    if spot is None:
        return seed.body
    parent, key = spot
    undo = change(parent, key, rng)
    try:
        return json.dumps(seed.doc, ensure_ascii=False, allow_nan=True).encode()
    finally:
        undo()


SWAPS = ("text", 12345, -0.5, None, True, [], {}, [1, "a", None], {"x": {"y": []}}, "", 0)


def _swap(parent, key, rng):
    old = parent[key]
    parent[key] = rng.choice(SWAPS)
    return lambda: parent.__setitem__(key, old)


def _delete(parent, key, rng):
    old = parent[key]
    del parent[key]
    if isinstance(parent, list):
        return lambda: parent.insert(key, old)
    return lambda: parent.__setitem__(key, old)  # order changes; the next edit does not care


def _rename(parent, key, rng):
    old = parent.pop(key)
    new = key + rng.choice(("_", "X", "\u00e9", " ", "\U0001F600"))
    parent[new] = old
    return lambda: (parent.pop(new), parent.__setitem__(key, old))


_rename.want = "dict"


def _huge_array(parent, key, rng):
    old = parent[key]
    if not old:
        return lambda: None
    size = len(json.dumps(old))  # up to ~4 MiB: past that it only measures json.dumps
    parent[key] = old * max(2, min(rng.choice((10, 100, 1000)), (4 << 20) // max(size, 1)))
    return lambda: parent.__setitem__(key, old)


_huge_array.want = "list"


def _value(literal: bytes):
    def change(seed: Seed, rng: random.Random) -> bytes:
        body = _edit(seed, rng, lambda parent, key, _: _set_marker(parent, key))
        return body.replace(b'"@@soak-mark@@"', literal, 1)
    return change


def _set_marker(parent, key):
    old = parent[key]
    parent[key] = "@@soak-mark@@"
    return lambda: parent.__setitem__(key, old)


def _deep(seed: Seed, rng: random.Random) -> bytes:
    depth = rng.choice((100, 1000, rng.randint(1, DEEP), DEEP))
    open_, close = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
    return _value(open_ * depth + b"1" + close * depth)(seed, rng)


def _truncate(seed: Seed, rng: random.Random) -> bytes:
    return seed.body[:rng.randrange(len(seed.body))] if seed.body else b""


def _bad_bytes(seed: Seed, rng: random.Random) -> bytes:
    body = bytearray(seed.body)
    for _ in range(rng.randint(1, 5)):
        at = rng.randrange(len(body) + 1)
        body[at:at] = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\x80\x80"))
    return bytes(body)


def _surrogate(seed: Seed, rng: random.Random) -> bytes:
    return _value(rng.choice((b'"\\ud800"', b'"a\\udfffb"', b'"\\ud83d"')))(seed, rng)


def _duplicate_keys(seed: Seed, rng: random.Random) -> bytes:
    at = seed.body.find(b"{")
    return seed.body if at < 0 else seed.body[:at + 1] + b'"data":null,' + seed.body[at + 1:]


def _wrapped(seed: Seed, rng: random.Random) -> bytes:
    return rng.choice((b"callback(" + seed.body + b");", b")]}'\n" + seed.body,
                       seed.body + b"garbage", b"  \r\n\t" + seed.body + b"\n\n"))


CONTENT = {
    "none": lambda seed, rng: seed.body,
    "truncate": _truncate,
    "type-swap": lambda seed, rng: _edit(seed, rng, _swap),
    "delete-key": lambda seed, rng: _edit(seed, rng, _delete),
    "rename-key": lambda seed, rng: _edit(seed, rng, _rename),
    "huge-array": lambda seed, rng: _edit(seed, rng, _huge_array),
    "deep": _deep,
    "invalid-utf8": _bad_bytes,
    "lone-surrogate": _surrogate,
    "duplicate-key": _duplicate_keys,
    "wrapped": _wrapped,
    "huge-int": _value(b"1" * 5000),
    "long-int": _value(b"123456789012345678901234567890"),
    "huge-float": _value(b"1e400"),
    "tiny-float": _value(b"-1e-400"),
    "nan": _value(b"NaN"),
    "infinity": _value(b"-Infinity"),
}
JSON_ONLY = {"type-swap", "delete-key", "rename-key", "huge-array", "deep", "lone-surrogate",
             "huge-int", "long-int", "huge-float", "tiny-float", "nan", "infinity"}


def charset_variant(body: bytes, rng: random.Random) -> tuple[bytes, str | None]:
    """The same text in another charset, declared or not: (bytes, charset parameter)."""
    choice = rng.choice(("utf-8", "bom", "utf-16", "utf-16-undeclared", "latin-1", "gbk"))
    if choice == "utf-8":
        return body, None
    if choice == "bom":
        return codecs.BOM_UTF8 + body, rng.choice((None, "utf-8"))
    text = body.decode("utf-8", errors="surrogateescape")
    if choice.startswith("utf-16"):
        out = text.encode("utf-16", errors="surrogatepass")
        return out, None if choice.endswith("undeclared") else "utf-16"
    name = "gbk" if choice == "gbk" else "latin-1"
    return text.encode(name, errors="replace"), rng.choice((name, None))


# -- transport mutations -----------------------------------------------------------------------

def _bombs() -> dict[str, bytes]:
    """Small bodies that inflate past the cap, built once per run."""
    block = bytes(1 << 20)
    size = CAP + (1 << 20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    gz = b"".join(squeeze.compress(block) for _ in range(size >> 20)) + squeeze.flush()
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflate = b"".join(squeeze.compress(block) for _ in range(size >> 20)) + squeeze.flush()
    br = brotli.Compressor(quality=5)
    big = b"".join([br.process(block) for _ in range(64)] + [br.finish()])  # 64 MiB
    zs = zstandard.ZstdCompressor(level=3).compress(bytes(size))
    return {"gzip": gz, "deflate": deflate, "br": big, "zstd": zs}


BOMBS: dict[str, bytes] = {}
JSON_TYPES = ("application/json", "application/json; charset=utf-8", "text/plain", "text/json",
              "application/vnd.api+json", "text/javascript", None)
OTHER_TYPES = ("text/html", "application/octet-stream", "image/png", "application/x-protobuf",
               "text/css", "application/xml", "multipart/form-data; boundary=x")
ENCODINGS = ("gzip", "deflate", "br", "zstd")


def encode(body: bytes, name: str) -> bytes:
    if name == "gzip":
        return gzip.compress(body, compresslevel=1, mtime=0)
    if name == "deflate":
        return zlib.compress(body, 1)
    if name == "br":
        return brotli.compress(body, quality=1)
    return zstandard.ZstdCompressor(level=1).compress(body)


def _with_charset(content_type: str | None, charset: str | None) -> str | None:
    if charset is None:
        return content_type
    return f"{(content_type or 'application/json').split(';')[0]}; charset={charset}"


def transport(seed: Seed, body: bytes, charset: str | None, rng: random.Random):
    """(kind, raw, decoded, content type, content encoding, must_pass reason)."""
    kind = rng.choices(("plain", "compressed", "wrong-type", "encoding-lie", "truncated-compressed",
                        "bomb", "empty", "unknown-encoding"),
                       weights=(40, 25, 8, 8, 6, 4, 4, 5))[0]
    ctype = _with_charset(seed.content_type if rng.random() < 0.7 else rng.choice(JSON_TYPES), charset)
    if kind == "plain":
        return kind, body, body, ctype, None, None
    if kind == "wrong-type":
        other = rng.choice(OTHER_TYPES)
        html_page = seed.doc is None and other == "text/html"  # an endpoint that reads pages
        return kind, body, body, _with_charset(other, charset), None, \
            None if html_page else "not a JSON content type"
    name = rng.choice(ENCODINGS)
    if kind == "compressed":
        return f"{kind}-{name}", encode(body, name), body, ctype, name, None
    if kind == "encoding-lie":
        return f"{kind}-{name}", body, None, ctype, rng.choice((name, name.upper())), \
            "Content-Encoding does not match the body"
    if kind == "truncated-compressed":
        packed = encode(body, name)
        return f"{kind}-{name}", packed[:rng.randrange(max(1, len(packed) - 8))], None, ctype, name, \
            "compressed body cut short"
    if kind == "bomb":
        if not BOMBS:
            BOMBS.update(_bombs())
        return f"{kind}-{name}", BOMBS[name], None, ctype, name, "decodes past the cap"
    if kind == "empty":
        return kind, b"", b"", ctype, rng.choice((None, "gzip")), "empty body"
    return kind, body, None, ctype, rng.choice(("compress", "gzip, br", "x-custom", "bzip2")), \
        "unknown Content-Encoding"


def mutate(seed: Seed, rng: random.Random) -> Mutant:
    names = list(CONTENT) if seed.doc is not None else [n for n in CONTENT if n not in JSON_ONLY]
    content = rng.choice(names)
    body = CONTENT[content](seed, rng)
    charset = None
    if rng.random() < 0.15:
        body, charset = charset_variant(body, rng)
        content += "+charset"
    kind, raw, decoded, ctype, encoding, must_pass = transport(seed, body, charset, rng)
    return Mutant(f"{content}/{kind}", raw, decoded, ctype, encoding, must_pass)
