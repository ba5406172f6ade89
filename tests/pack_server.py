"""A real local HTTPS server for rule pack archives (aiohttp on 127.0.0.1, in its own thread so
subprocesses can fetch from it too), with a test CA made at test time, and signed packs to put
on it. Clients trust the CA through $SSL_CERT_FILE (the `pack_ca` fixture, tests/conftest.py)
or a subscription's ca_file."""

from __future__ import annotations

import asyncio
import hashlib
import io
import itertools
import ssl
import tarfile
import threading
from collections import Counter
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from feedlens.packs import archive, build, scaffold, signing

LAST_MODIFIED = "Sun, 06 Dec 2026 10:00:00 GMT"
_SEQ = itertools.count()


class PackServer:
    """Serves `files` (path -> bytes) with an ETag and Last-Modified, answering 304 to a
    matching If-None-Match; `status[path]` forces an error status; paths in `chunked` are sent
    without a Content-Length. `hits` counts requests per path, `conditional` those with a
    validator. While `gate` is set to an Event, every request waits for it (requests stay
    in flight until the test lets them go)."""

    def __init__(self, certs: Path | None = None):
        self.certs = certs  # a make_certs() directory: serve HTTPS with its server.pem; else HTTP
        self.files: dict[str, bytes] = {}
        self.status: dict[str, int] = {}
        self.chunked: set[str] = set()
        self.hits: Counter = Counter()
        self.conditional: Counter = Counter()
        self.gate: threading.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def url(self, path: str) -> str:
        return f"{'https' if self.certs else 'http'}://127.0.0.1:{self.port}/{path}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        self.hits[path] += 1
        if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
            self.conditional[path] += 1
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        if path in self.status:
            return web.Response(status=self.status[path], text="unavailable")
        if path not in self.files:
            return web.Response(status=404, text="not found")
        body = self.files[path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": "application/gzip"}
        if path not in self.chunked:
            return web.Response(body=body, headers=headers)
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for at in range(0, len(body), 65536):
            await response.write(body[at:at + 65536])
        await response.write_eof()
        return response

    def start(self) -> None:
        self._thread.start()
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app)
        asyncio.run_coroutine_threadsafe(self._runner.setup(), self._loop).result(10)
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls())
        asyncio.run_coroutine_threadsafe(site.start(), self._loop).result(10)
        self.port = site._server.sockets[0].getsockname()[1]

    def _tls(self) -> ssl.SSLContext | None:
        if self.certs is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs / "server.pem", self.certs / "server.key")
        return context

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()  # else its self-pipe sockets warn as unraisable in a later test


def new_key() -> tuple[Ed25519PrivateKey, str]:
    key = Ed25519PrivateKey.generate()
    return key, signing.public_line(key.public_key())


def make_pack(work: Path, key: Ed25519PrivateKey, version: str, *, name: str = "gadget-rules",
              failing: bool = False, min_feedlens: str | None = None, update_urls: tuple = (),
              after_signing=None, profiles: dict[str, str] | None = None, before_signing=None) -> bytes:
    """A signed pack's .tar.gz bytes: the new-platform skeleton (its fixture passes, or with
    `failing` reads the author's id as its name and fails), extra profiles; `after_signing(dir)`
    may change the signed directory before it is archived, `before_signing(dir)` the sources."""
    tag = f"{name}-{version}-{'failing' if failing else 'ok'}-{next(_SEQ)}"
    src = work / f"src-{tag}"
    scaffold.new_platform("gadget", src)
    adapter = src / "platforms" / "gadget.yaml"
    text = adapter.read_text().replace("title: gadget", f"title: gadget {version}")
    adapter.write_text(text.replace("author: author.name", "author: author.id") if failing else text)
    for file, text in (profiles or {}).items():
        (src / "profiles").mkdir(exist_ok=True)
        (src / "profiles" / file).write_text(text)
    if before_signing:
        before_signing(src)
    given = {"name": name, "version": version, "licence": "CC0-1.0", "update_urls": list(update_urls),
             "min_feedlens": min_feedlens}
    signed = work / f"signed-{tag}"
    build.build_dir(src, signed, key, given)
    if after_signing:
        after_signing(signed)
    out = work / f"{tag}.tar.gz"
    archive.build(signed, out)
    return out.read_bytes()


def escaping_archive() -> bytes:
    """A .tar.gz with a `../` member."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = b"name: x\n"
        info = tarfile.TarInfo("../evil.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()
