"""Who may talk to the service: the token, the Host and Origin policy, the dashboard cookie.

The service listens on loopback only, but any web page the user opens can still send requests
to 127.0.0.1. So: every /api call needs the bearer token (which pages cannot know); requests
from an Origin other than the service itself or the extension that paired (origins.py) are
refused; and the Host header must name loopback at our port, which defeats DNS rebinding (a
foreign name resolved to 127.0.0.1 would otherwise count as same-origin).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from aiohttp import web

from .. import private, webforms
from ..webforms import secret_matches, split_host  # noqa: F401  (shared with the study server)

TOKEN_FILE = "token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_EXTENSION_ORIGIN = re.compile(r"^(?:chrome-extension|moz-extension)://[A-Za-z0-9-]+$")


class TokenError(RuntimeError):
    pass


# ---- token ---------------------------------------------------------------------------------

def load_or_create_token(data_dir: Path) -> str:
    """The token in `<data_dir>/token`, created (mode 0600) on first start."""
    data_dir = Path(data_dir)
    private.ensure_dir(data_dir)
    path = data_dir / TOKEN_FILE
    try:
        # O_EXCL: two processes starting at once cannot both write a token.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_token(path)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def _read_token(path: Path) -> str:
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # someone loosened it; the token is a password
    token = path.read_text(encoding="ascii", errors="replace").strip()
    if len(token) < 32:
        raise TokenError(f"{path}: token is missing or too short; delete the file to make a new one")
    return token


def bearer_matches(header: str | None, token: str) -> bool:
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and secret_matches(value.strip(), token)


def dashboard_cookie_value(token: str) -> str:
    """Derived from the token, so the cookie never grants what the token grants."""
    return hmac.new(token.encode(), b"feedlens dashboard v1", hashlib.sha256).hexdigest()


def has_credentials(request: web.Request, token: str, cookie: str) -> bool:
    """The bearer token (curl) or the dashboard cookie."""
    if bearer_matches(request.headers.get("Authorization"), token):
        return True
    given = request.cookies.get(cookie)
    return given is not None and secret_matches(given, dashboard_cookie_value(token))


def dashboard_cookie_name(port: int) -> str:
    # Cookies are shared by all ports of a host; the port keeps two instances apart.
    return f"feedlens_dashboard_{port}"


def dashboard_url(host: str, port: int, code: str) -> str:
    """The URL to print: opening it once sets the dashboard cookie (login.py's one-time code,
    never the API token)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?code={code}"


# ---- Host and Origin -----------------------------------------------------------------------

def local_port(request: web.Request, fallback: int) -> int:
    """The port this connection arrived on (the socket's, not the client's claim)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return int(sockname[1])
    return fallback


def host_allowed(host_header: str | None, port: int) -> bool:
    parsed = split_host(host_header or "")
    if parsed is None:
        return False
    host, given_port = parsed
    return host in LOOPBACK_HOSTS and (given_port or 80) == port


def is_extension_origin(origin: str) -> bool:
    return _EXTENSION_ORIGIN.fullmatch(origin) is not None


def is_own_origin(origin: str, port: int) -> bool:
    scheme, sep, rest = origin.partition("://")
    return scheme == "http" and bool(sep) and host_allowed(rest, port)


def same_origin_form(origin: str | None, fetch_site: str | None, port: int) -> bool:
    """Whether a form POST comes from one of our own pages.

    Our own Origin is proof. A browser that hides the origin (`Origin: null`, or none at all)
    still says where the request started in `Sec-Fetch-Site`, which no page can set."""
    return webforms.same_origin_form(origin, fetch_site, lambda given: is_own_origin(given, port))


def is_loopback(host: str) -> bool:
    return host.strip("[]").lower() in LOOPBACK_HOSTS
