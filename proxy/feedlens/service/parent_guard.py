"""The parent lock on changing routes, the audit of each change, the extension's last contact.

Every route that changes settings calls `require_pin(request, route=…, locked=…)` before it
changes anything. With nothing locked the change is allowed (and audited). With a locked
profile involved it needs the parent PIN, sent as the `X-Feedlens-Pin` header (extension,
curl) or the `pin` form field (dashboard forms): without it the answer is 403, after too many
wrong PINs 429 until the lockout ends. Each decision is one row in the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from aiohttp import web

from .. import yamlsrc
from ..minors import audit, lock
from ..minors.pin import ParentPin
from . import profile_files
from ..yamlsrc import YamlError
from .config import CONFIG
from .errors import ApiError

log = logging.getLogger(__name__)

PIN_HEADER = "X-Feedlens-Pin"
NO_PIN = "locked: no parent PIN is set yet; set one with `feedlens parent set-pin`"
PIN = web.AppKey("feedlens_parent_pin", dict)  # {"pin": ParentPin}, made on first use
CONTACT = web.AppKey("feedlens_extension_contact", dict)
CONTACT_KEY = "extension_last_contact"
CONTACT_WRITE_EVERY = 60.0  # seconds; the time is persisted at most this often


def setup(app: web.Application) -> None:
    app[PIN] = {}
    app[CONTACT] = {"last": None, "written": 0.0, "task": None}
    app.on_cleanup.append(_finish_contact_write)


async def _finish_contact_write(app: web.Application) -> None:
    task = app[CONTACT]["task"]
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)


def parent_pin(app: web.Application) -> ParentPin:
    """One per app, so its lock serialises every guess made through this service."""
    holder = app[PIN]
    if "pin" not in holder:
        holder["pin"] = ParentPin(app[CONFIG].runtime.store)
    return holder["pin"]


async def require_pin(request: web.Request, *, route: str, locked: bool,
                      profile: str | None = None, device: str | None = None,
                      always_if_set: bool = False, pin: str | None = None,
                      detail: str | None = None) -> None:
    """Allow the change or raise 403/429; audit the decision either way.

    `always_if_set`: once a PIN exists the route needs it whatever is locked (device
    assignment, time grants: the parent's decisions by nature).
    """
    app = request.app
    store = app[CONFIG].runtime.store
    checker = parent_pin(app)
    needed = locked or (always_if_set and await checker.is_set())
    where = dict(route=route, method=request.method, profile=profile, device=device, detail=detail)
    if not needed:
        await audit.record(store, outcome="allowed", **where)
        return
    pin = pin if pin is not None else request.headers.get(PIN_HEADER)
    if not pin:
        unset = not await checker.is_set()
        await audit.record(store, outcome="refused_pin_unset" if unset else "refused_no_pin", **where)
        if unset:
            raise ApiError(403, NO_PIN, code="pin_not_set")
        raise ApiError(403, f"locked: send the parent PIN in the {PIN_HEADER} header",
                       code="profile_locked", params={"header": PIN_HEADER})
    verdict = await checker.verify(pin, client_of(request))
    if verdict.ok:
        await audit.record(store, outcome="allowed_with_pin", **where)
        return
    if verdict.reason == "locked":
        await audit.record(store, outcome="refused_locked_out", **where)
        wait = max(1, int((verdict.locked_until or time.time()) - time.time()))
        raise ApiError(429, f"too many wrong PINs: try again in {wait // 60 + 1} minutes",
                       headers={"Retry-After": str(wait)}, code="pin_locked_out",
                       params={"minutes": wait // 60 + 1})
    outcome = "refused_pin_unset" if verdict.reason == "unset" else "refused_wrong_pin"
    await audit.record(store, outcome=outcome, **where)
    if verdict.reason == "wrong":
        raise ApiError(403, "locked: wrong parent PIN", code="wrong_pin")
    raise ApiError(403, NO_PIN, code="pin_not_set")


def client_of(request: web.Request) -> str:
    """Whose wrong PINs these are (pin.py counts them per client): the calling page's origin
    (the extension, the dashboard), else the API token's caller without one."""
    origin = request.headers.get("Origin")
    return f"origin:{origin}"[:200] if origin else "api"


# ---- the extension's last contact ---------------------------------------------------------

def note_extension_contact(app: web.Application, now: float | None = None) -> None:
    """Remember that the extension called; persisted at most once a minute, in the background."""
    state = app[CONTACT]
    now = time.time() if now is None else now
    state["last"] = now
    if now - state["written"] < CONTACT_WRITE_EVERY or (state["task"] and not state["task"].done()):
        return
    state["written"] = now
    state["task"] = asyncio.get_running_loop().create_task(_persist_contact(app, now))


async def _persist_contact(app: web.Application, now: float) -> None:
    try:
        await app[CONFIG].runtime.store.run_write(lambda conn: conn.execute(
            "INSERT INTO parent_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value", (CONTACT_KEY, repr(now))))
    except Exception as exc:  # the store may be closing; the in-memory time still counts
        log.debug("parent: could not persist the extension contact time: %s", exc)


async def last_extension_contact(app: web.Application) -> float | None:
    if app[CONTACT]["last"] is not None:
        return app[CONTACT]["last"]

    def read(conn):
        row = conn.execute("SELECT value FROM parent_state WHERE key = ?", (CONTACT_KEY,)).fetchone()
        return float(row[0]) if row else None
    return await app[CONFIG].runtime.store.run_read(read)


# ---- which profiles are locked -------------------------------------------------------------

def is_locked(app: web.Application, name: str | None) -> bool:
    """Locked by its file, or by the lock the store keeps (a file edited to `locked: false`,
    deleted or broken stays locked until the parent confirms it with the PIN)."""
    book = getattr(app[CONFIG].runtime, "lock", None)
    return profile_locked(app[CONFIG].rules_dir, name) or bool(book and book.is_locked(name))



def profile_locked(rules_dir: Path, name: str | None) -> bool:
    """Whether the file of profile `name` says `locked: true` (also when it is otherwise broken)."""
    if not name:
        return False
    path = profile_files.profile_path(rules_dir, name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = yamlsrc.data(text, str(path))
    except YamlError:  # also a duplicate `locked:`: any `locked: true` line keeps it locked
        return lock.says_locked(text)  # a broken locked file stays locked
    return bool(data.get("locked")) if isinstance(data, dict) else lock.says_locked(text)
