"""The /packs page: every rule pack in force (the bundled feedlens-core, the user's own packs,
subscriptions) with its version, age, expiry, last check and result, the adapters whose
fixtures fail on this feedlens, and for a subscription what changed between its active and
its other kept version; forms to subscribe, unsubscribe, update now and roll back.

The forms are form_action posts (cookie or token, csrf field, own Origin: pages.py). Update
now changes no settings (it fetches what a subscription already names, signed by its key), as
POST /api/packs/update. Subscribing, unsubscribing and rolling back choose which adapters read
the feeds, so with a locked active profile they need the parent PIN (parent_guard); no pack
ever replaces a profile (feedlens.layers), locked or not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from .. import layers
from ..packs import changes, check, manage, signing, status, updater, versions
from ..packs.subscriptions import SubscriptionError, load_all, now_utc
from . import parent_guard
from .config import CONFIG
from .errors import ApiError
from .pages import form_action, page
from .views import active_profile

FIXTURES = web.AppKey("feedlens_pack_fixtures", dict)  # dir -> (files' stamps, failing adapters)
NOTICES = frozenset({"subscribed", "checked", "unsubscribed", "rolled_back", "no_pin", "wrong_pin",
                     "pin_unset", "locked_out"})
ERROR_NOTICES = frozenset({"no_pin", "wrong_pin", "pin_unset", "locked_out"})
_NOTICE_OF_CODE = {"pin_not_set": "pin_unset", "wrong_pin": "wrong_pin",
                   "profile_locked": "no_pin", "pin_locked_out": "locked_out"}


def setup(app: web.Application) -> None:
    app[FIXTURES] = {}
    router = app.router
    router.add_get("/packs", page(render), name="page_packs")
    router.add_post("/packs/subscribe", form_action(subscribe), name="page_packs_subscribe")
    router.add_post("/packs/unsubscribe", form_action(unsubscribe), name="page_packs_unsubscribe")
    router.add_post("/packs/update", form_action(update_now), name="page_packs_update")
    router.add_post("/packs/rollback", form_action(rollback), name="page_packs_rollback")


# ---- what the page shows ---------------------------------------------------------------------

def pack_rows(app: web.Application, now: dt.datetime) -> tuple[list[dict], str | None]:
    """The bundled pack's row, then status.rows() (subscriptions and own packs), each with the
    adapters whose fixtures fail and, for a subscription, what changed since its other kept
    version. In a worker thread: it reads files and may run fixtures."""
    data = app[CONFIG].data_dir
    core = next((p for p in app[CONFIG].runtime.layering.packs if p.name != layers.USER_RULES), None)
    found = []
    if core is not None:
        found.append({**status.own_row(Path(core.path), now), "name": core.name, "kind": "bundled",
                      "version": core.version if core.version != layers.UNVERSIONED else None})
    error = None
    try:
        found += status.rows(load_all(), now, data)
    except SubscriptionError as exc:
        error = str(exc)
    for row in found:
        directory = _directory(row, data)
        row["failing"] = failing_adapters(app, directory) if directory else []
        row["changes"] = changes.since_kept(row["name"], data) if row["kind"] == "subscription" else None
    return found, error


def _directory(row: dict, data) -> Path | None:
    if row["kind"] == "subscription":
        return versions.installed(row["name"], row["version"], data) if row["version"] else None
    return Path(row["path"])


def failing_adapters(app: web.Application, directory: Path) -> list[dict]:
    """Per adapter (its platforms/NAME.yaml) whose fixture cases fail here: the failing cases.
    Cached per directory until a file under platforms/ changes (a subscription's new version is
    a new directory; your own pack may be edited in place)."""
    platforms = directory / "platforms"
    files = sorted(platforms.rglob("*")) if platforms.is_dir() else []
    where, stamp = str(directory.resolve()), tuple((str(f), f.stat().st_mtime_ns) for f in files if f.is_file())
    cache = app[FIXTURES]  # one entry per directory: an edit replaces it
    if where not in cache or cache[where][0] != stamp:
        result = check.check([platforms]) if platforms.is_dir() else check.CheckResult()
        failing: dict[str, int] = {}
        for case in result.cases:
            if case.failures:
                name = case.case.path.parent.name.removesuffix(".fixtures")
                failing[name] = failing.get(name, 0) + 1
        cache[where] = (stamp, [{"adapter": name, "cases": n} for name, n in sorted(failing.items())])
    return cache[where][1]


def _locked(app) -> bool:
    runtime = app[CONFIG].runtime
    return bool(runtime.profile.locked) or parent_guard.profile_locked(
        app[CONFIG].rules_dir, active_profile(runtime))


async def render(request: web.Request, lang: str) -> tuple[str, dict]:
    app = request.app
    rows, error = await asyncio.to_thread(pack_rows, app, now_utc())
    notice = request.query.get("notice")
    return "packs.html", {
        "rows": rows, "error": error, "locked": _locked(app),
        "background": app[CONFIG].runtime.pack_updates.health()["background"],
        "notice": notice if notice in NOTICES else None, "notice_bad": notice in ERROR_NOTICES,
        "name": request.query.get("name", "")[:64],
    }


# ---- the forms -------------------------------------------------------------------------------

def _back(lang: str, notice: str, name: str = "") -> str:
    return f"/packs?lang={lang}&notice={notice}" + (f"&name={quote(name)}" if name else "")


async def _guard(request: web.Request, route: str, form: dict, name: str) -> str | None:
    """None when the change may go ahead, else the notice that says why not."""
    try:
        await parent_guard.require_pin(request, route=route, locked=_locked(request.app),
                                       profile=active_profile(request.app[CONFIG].runtime),
                                       pin=str(form.get("pin", "")) or None, detail=f"pack {name}")
    except ApiError as exc:
        return _NOTICE_OF_CODE.get(exc.code or "", "locked_out" if exc.status == 429 else "no_pin")
    return None


async def _reload(app: web.Application) -> None:
    await asyncio.to_thread(app[CONFIG].runtime.reload)


async def subscribe(request: web.Request, lang: str, form: dict) -> str:
    url, key, name = (str(form.get(k, "")).strip() for k in ("url", "pubkey", "name"))
    if key and not key.startswith(signing.PREFIX):  # a form takes the key's line, never a file path
        raise ApiError(400, f"paste the publisher's public key line (it starts with {signing.PREFIX})")
    refused = await _guard(request, "page_packs_subscribe", form, name or url)
    if refused:
        return _back(lang, refused)
    try:
        sub = await asyncio.to_thread(manage.subscribe, url, key, name or None, request.app[CONFIG].data_dir)
    except SubscriptionError as exc:
        raise ApiError(400, f"not subscribed: {exc}") from None
    await request.app[CONFIG].runtime.pack_updates.check(sub.name)  # fetched now; reloads on success
    return _back(lang, "subscribed", sub.name)


async def update_now(request: web.Request, lang: str, form: dict) -> str:
    name = str(form.get("name", "")) or None
    await request.app[CONFIG].runtime.pack_updates.round(force=True, only=name)
    return _back(lang, "checked", name or "")


async def unsubscribe(request: web.Request, lang: str, form: dict) -> str:
    name = str(form.get("name", ""))
    refused = await _guard(request, "page_packs_unsubscribe", form, name)
    if refused:
        return _back(lang, refused, name)
    try:
        await asyncio.to_thread(manage.unsubscribe, name, request.app[CONFIG].data_dir)
    except SubscriptionError as exc:
        raise ApiError(404, str(exc)) from None
    await _reload(request.app)
    return _back(lang, "unsubscribed", name)


async def rollback(request: web.Request, lang: str, form: dict) -> str:
    name = str(form.get("name", ""))
    refused = await _guard(request, "page_packs_rollback", form, name)
    if refused:
        return _back(lang, refused, name)
    try:
        await asyncio.to_thread(updater.rollback_saved, name, request.app[CONFIG].data_dir)
    except KeyError:
        raise ApiError(404, f"no subscription named {name}") from None
    except (versions.VersionError, SubscriptionError) as exc:
        raise ApiError(409, f"not rolled back: {exc}") from None
    await _reload(request.app)
    return _back(lang, "rolled_back", name)

