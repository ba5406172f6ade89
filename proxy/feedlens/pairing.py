"""One-time pairing codes: how the browser extension gets the service token without copy-paste.

`feedlens pair` writes the hash of a short code and its expiry to `<data_dir>/pairing.json`
(mode 0600) and prints the code. The extension's options page sends the code to
`POST /api/pair`; the service answers with the token once. A code is good for one use, for
ten minutes and for five wrong tries, whichever ends first.

The origin of the extension that paired (`chrome-extension://<id>`, `moz-extension://<uuid>`)
is kept in `<data_dir>/extension_origin` (mode 0600): afterwards the service accepts that
extension only (service/origins.py), and pairing again replaces it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from pathlib import Path

from . import paths
from .files import write_atomic

FILE = "pairing.json"
ORIGIN_FILE = "extension_origin"
TTL = 600.0
MAX_TRIES = 5
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and retyped
LENGTH = 8

_lock = threading.Lock()  # the service redeems on worker threads


class PairingError(Exception):
    """Why a code was refused (the message is shown in the options page); `code` is the
    service's stable error code for it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def new_code(data_dir: Path, ttl: float = TTL, now: float | None = None) -> tuple[str, float]:
    """Make a code, replacing any earlier one; returns (code as shown, expiry time)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    expires = (now if now is not None else time.time()) + ttl
    path = Path(data_dir) / FILE
    write_atomic(path, json.dumps({"sha256": _digest(raw), "expires": expires, "tries": 0}), mode=0o600)
    return f"{raw[:4]}-{raw[4:]}", expires


def redeem(data_dir: Path, code: str, now: float | None = None) -> None:
    """Accept the code once (deleting it) or raise PairingError."""
    now = time.time() if now is None else now
    path = Path(data_dir) / FILE
    with _lock:
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            raise PairingError("no pairing code is waiting: run `feedlens pair` first",
                               "no_pairing_code") from None
        if now > state.get("expires", 0):
            path.unlink(missing_ok=True)
            raise PairingError("the pairing code has expired: run `feedlens pair` again",
                               "pairing_code_expired")
        if secrets.compare_digest(_digest(code), str(state.get("sha256", ""))):
            path.unlink(missing_ok=True)
            return
        state["tries"] = state.get("tries", 0) + 1
        if state["tries"] >= MAX_TRIES:
            path.unlink(missing_ok=True)
            raise PairingError("too many wrong codes: run `feedlens pair` again",
                               "too_many_pairing_tries")
        write_atomic(path, json.dumps(state), mode=0o600)
        raise PairingError("wrong pairing code", "bad_pairing_code")


def paired_origin(data_dir: Path) -> str | None:
    """The origin of the extension that paired last; None before any pairing recorded one."""
    try:
        origin = (Path(data_dir) / ORIGIN_FILE).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    return origin or None


def record_origin(data_dir: Path, origin: str) -> None:
    write_atomic(Path(data_dir) / ORIGIN_FILE, origin + "\n", mode=0o600)


# ---- `feedlens pair` -----------------------------------------------------------------------

def add_pair_parser(subparsers):
    pair = subparsers.add_parser("pair", help="show a one-time code that pairs the browser extension")
    pair.add_argument("--data-dir", help="the data directory `feedlens run` uses")
    pair.add_argument("--service-port", type=int, default=8787, help="companion service port")
    pair.set_defaults(func=cmd_pair)
    return pair


def cmd_pair(args) -> int:
    data_dir = paths.data_dir(args.data_dir).resolve()
    code, expires = new_code(data_dir)
    minutes = round((expires - time.time()) / 60)
    print("\n".join([
        f"pairing code  {code}   (one use, valid {minutes} minutes)",
        f"service       http://127.0.0.1:{args.service_port}",
        "Open the feedlens extension's options page, enter the service address and this code,",
        "then press Pair. `feedlens run` must be running with the same data directory.",
    ]))
    return 0
