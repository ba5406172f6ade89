"""Downloading a pack's .tar.gz: directly (never through a proxy, our own included), with
conditional requests, mirrors tried in order, and a size limit enforced while streaming.

HTTPS is always verified (certificate chain and host name). Trusted are the system's CAs, which
OpenSSL takes from $SSL_CERT_FILE / $SSL_CERT_DIR when set (as curl, git and pip built on
OpenSSL do), or, for a subscription with `ca_file`, exactly the CAs in that file (like
`curl --cacert` or git's http.sslCAInfo): a publisher with a private CA."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import __version__

MAX_DOWNLOAD = 20 * 1024 * 1024  # one pack's archive (the bundled pack packs to well under 1 MB)
TIMEOUT = 30.0
CHUNK = 1 << 16


class FetchError(Exception):
    """No URL gave the pack; `reasons` says why for each, in the order tried."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class TooLarge(Exception):
    pass


@dataclass
class Fetched:
    url: str
    modified: bool  # False: the server said 304, nothing was written
    etag: str | None = None
    last_modified: str | None = None

    def validators(self) -> dict[str, str]:
        found = {"etag": self.etag, "last_modified": self.last_modified}
        return {k: v for k, v in found.items() if v}


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying context: `ca_file`'s CAs, else the default ones ($SSL_CERT_FILE honoured)."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


def opener(ca_file: str | None = None) -> urllib.request.OpenerDirector:
    """An opener that ignores $http_proxy and friends: pack downloads go straight out."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                       urllib.request.HTTPSHandler(context=tls_context(ca_file)))


def conditional_headers(validators: dict[str, str] | None) -> dict[str, str]:
    validators = validators or {}
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


def fetch(urls: list[str], validators: dict[str, dict[str, str]], dest: Path,
          max_bytes: int = MAX_DOWNLOAD, timeout: float = TIMEOUT, ca_file: str | None = None) -> Fetched:
    """The first URL that answers: its archive written to `dest`, or a 304. Each URL is asked
    once; FetchError lists every failure when none answers."""
    reasons = []
    for url in urls:
        try:
            return _one(url, validators.get(url), Path(dest), max_bytes, timeout, ca_file)
        except urllib.error.HTTPError as exc:
            reasons.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except TooLarge as exc:
            reasons.append(f"{url}: {exc}")
        except urllib.error.URLError as exc:
            reasons.append(f"{url}: cannot connect ({exc.reason})")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            reasons.append(f"{url}: {type(exc).__name__}: {exc}")
        Path(dest).unlink(missing_ok=True)
    raise FetchError(reasons)


def _one(url: str, validators: dict | None, dest: Path, max_bytes: int, timeout: float,
         ca_file: str | None) -> Fetched:
    headers = {"User-Agent": f"feedlens/{__version__} (rule pack updater)", **conditional_headers(validators)}
    request = urllib.request.Request(url, headers=headers)
    try:
        response = opener(ca_file).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            exc.close()
            return Fetched(url, False, **_kept(validators))
        raise
    with response:
        length = response.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise TooLarge(f"the download is {int(length)} bytes, over the limit of {max_bytes} bytes")
        _copy_capped(response, dest, max_bytes)
        return Fetched(url, True, response.headers.get("ETag"), response.headers.get("Last-Modified"))


def _kept(validators: dict | None) -> dict:
    validators = validators or {}
    return {"etag": validators.get("etag"), "last_modified": validators.get("last_modified")}


def _copy_capped(response, dest: Path, max_bytes: int) -> None:
    total = 0
    with open(dest, "wb") as out:
        while block := response.read(CHUNK):
            total += len(block)
            if total > max_bytes:
                raise TooLarge(f"the download is over the limit of {max_bytes} bytes (stopped reading)")
            out.write(block)
