"""The running state shared by the add-on and the service: config, engine, store, counters.

The engine is rebuilt when rule files change and swapped in one assignment, so a hook that
already holds the old engine finishes with it. A file that fails to load keeps its previous
version in force; the error is shown in health and logged once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import __version__, features, layers, myrules, paths, private
from .adapters import Adapter, AdapterSet
from .counters import Counters
from .gaps import CoverageGaps
from .settings import MARK_STYLES, PROFILE_NAME, Config, parse_resolve  # noqa: F401 (re-exported)
from .engine import Engine
from .files import write_atomic
from .minors import lock as parent_lock
from .minors.clock import Clock
from .minors.policy import Limits, limits_of
from .minors.state import Minors
from .offload import EngineSpec
from .packs.background import BackgroundUpdates
from .profiles import MARK_ONLY, Profile, ProfileError
from .recent import RecentItems
from .research.recorder import Research
from .research.upload import Uploader
from .store import Store

log = logging.getLogger("feedlens")

POLL_SECONDS = 1.0


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@dataclass(frozen=True)
class ProfileEngine:
    """What a profile runs with: its engine, the spec workers rebuild it from, its limits."""

    engine: Engine
    spec: EngineSpec
    limits: Limits


class Runtime:
    def __init__(self, config: Config, *, store: Store | None = None, clock: Clock | None = None):
        features.install()  # before the store and the rule files: features' tables and sections
        self.config = config
        self.counters = Counters()
        self.gaps = CoverageGaps()  # feeds no endpoint read: shown, never passed as checked
        self.store = store or Store(config.db_path, retention_days=config.retention_days,
                                    fail_open=True)  # browsing never needs the disk
        self.recent = RecentItems()
        self.research = Research(self.store, config.data_dir)  # off until consent is given
        self.started = time.time()
        self.adapter_errors: list[str] = []
        self.profile_errors: list[str] = []
        self.lock = parent_lock.LockBook()  # the parent lock as the store keeps it (start() reads it)
        self.lock_refused: str | None = None  # a profile asked for that the lock kept out (health)
        self.fallbacks: dict[str, str] = {}  # locked profile -> why its devices run on the strict one
        self.profile_name = config.profile or self._saved_profile() or "default"
        self.profile: Profile = MARK_ONLY
        self._profile_text: str | None = None
        self._adapter_texts: tuple[tuple[str, str, str, str], ...] = ()
        self._loader = layers.LayerLoader()  # the packs' adapters, each kept while unchanged
        self.layering = layers.Layering([], [])
        self._profile_stamp: tuple | None = None
        self.layer = myrules.Layer()  # My rules, composed over the active profile
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._tasks: list[asyncio.Task] = []
        self.pack_updates = BackgroundUpdates(config.pack_check, self.reload, config.data_dir)  # started by start()
        self.engine = Engine(AdapterSet.of([]), MARK_ONLY, body_cap=config.body_cap)
        self.engine_spec = EngineSpec((), None, MARK_ONLY.title_prefix, config.body_cap)
        # Per-device profiles (parents and minors): engines of the profiles other than the active
        # one, built on first use and dropped on every reload; their compiled files are kept, so
        # a profile that stops loading keeps its previous version.
        self._active = ProfileEngine(self.engine, self.engine_spec, limits_of(MARK_ONLY))
        self._engines: dict[str, ProfileEngine] = {}
        self._generation = 0  # bumped by every rebuild: an engine built meanwhile is not cached
        self._profiles: dict[str, tuple[tuple | None, Profile, str]] = {}
        self.device_profile_errors: dict[str, list[str]] = {}
        self.minors = Minors(self.store, clock=clock or Clock(), limits=self.limits_for,
                             default_profile=lambda: self.profile_name,
                             locked=lambda name: self.lock.is_locked(name) or name in self.fallbacks)
        self.research.include_device = lambda device: (
            device is None or self.minors.device_profile(device) is None)
        self.reload()

    # -- files ------------------------------------------------------------------------------

    @property
    def platforms_dir(self) -> Path:
        return paths.platforms_dir(self.config.rules_dir)

    @property
    def profiles_dir(self) -> Path:
        return paths.profiles_dir(self.config.rules_dir)

    def profile_path(self, name: str | None = None) -> Path:
        return paths.resolve_profile(name or self.profile_name, self.config.rules_dir)

    def _signature_now(self) -> tuple:
        files = (layers.watched_files(self.config.rules_dir)
                 + paths.layered_files(self.config.rules_dir, "profiles"))
        return (tuple((str(p), _stamp(p)) for p in files) + ((None, _stamp(self.profile_path())),)
                + (self.layer.signature(),))

    # -- reload -----------------------------------------------------------------------------

    def reload(self) -> bool:
        """Re-read adapters and the active profile; failures keep the previous version."""
        with self._lock:
            self._signature = self._signature_now()
            adapters = self._load_adapters()
            profile_ok = self._load_profile()
            layer_ok = self.layer.load()
            self._rebuild(adapters)
            for name in self.minors.assigned_profiles():  # build devices' engines off the proxy path
                self._entry(name, assigned=True)
        return not self.adapter_errors and profile_ok and layer_ok

    def _rebuild(self, adapters: AdapterSet | None = None) -> None:
        profile = myrules.compose(self.profile, self.layer.profile)
        if self.config.mark_style != "profile":
            profile = dataclasses.replace(profile, title_prefix=self.config.mark_style)
        self.engine = Engine(adapters or self.engine.adapters, profile, body_cap=self.config.body_cap)
        self.engine_spec = EngineSpec(
            adapters=self._adapter_texts,
            profile=(self.profile.name, self.profile.path, self._profile_text)
            if self._profile_text is not None else None,
            title_prefix=profile.title_prefix, body_cap=self.config.body_cap,
            layer=self.layer.spec() if myrules.applies_to(self.profile) else None)
        self._active = ProfileEngine(self.engine, self.engine_spec, limits_of(self.profile))
        self._engines = {}
        self._generation += 1

    # -- per-device profiles ------------------------------------------------------------------

    def limits_for(self, name: str | None) -> Limits:
        return self._entry(name).limits

    def profile_engine(self, name: str | None, *, assigned: bool = False) -> ProfileEngine:
        """Engine, spec and limits of a profile (a device's), taken together (a reload may swap
        them); the active one (with My rules) for None or an unknown name. `assigned`: a parent
        gave the device this profile, so it runs as written, without My rules."""
        return self._entry(name, assigned=assigned)

    def _entry(self, name: str | None, assigned: bool = False) -> ProfileEngine:
        if not name or (name == self.profile_name and not assigned):
            return self._active
        entry = self._engines.get(name)
        if entry is None:
            generation, active = self._generation, self._active
            entry = self._build_entry(name, active)
            if generation == self._generation:  # else the watcher rebuilt meanwhile: do not keep it
                self._engines = {**self._engines, name: entry}  # swapped whole: both threads read it
        return entry

    def _build_entry(self, name: str, active: ProfileEngine) -> ProfileEngine:
        loaded = self._load_named(name)
        if loaded is None:  # fail open: the device gets the active profile, health says why
            return active
        profile, text = loaded
        in_force = profile
        if self.config.mark_style != "profile":
            in_force = dataclasses.replace(profile, title_prefix=self.config.mark_style)
        engine = Engine(active.engine.adapters, in_force, body_cap=self.config.body_cap)
        spec = dataclasses.replace(active.spec, profile=(profile.name, profile.path, text),
                                   title_prefix=in_force.title_prefix, layer=None)
        return ProfileEngine(engine, spec, limits_of(profile))

    def _load_named(self, name: str) -> tuple[Profile, str] | None:
        path = self.profile_path(name)
        if not PROFILE_NAME.match(name) or not (path.is_file() or self.lock.is_locked(name)):
            self._set_device_errors(name, [f"no profile named {name!r}; devices assigned to it "
                                           f"use the active one"])
            return None
        stamp, cached = _stamp(path), self._profiles.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        try:
            profile, text, notes = parent_lock.load_guarded(self.lock, self.fallbacks, name, path)
        except ProfileError as exc:
            note = "keeping its previous version" if cached else "devices assigned to it use the active one"
            self._set_device_errors(name, exc.messages + [f"{path}:1: {note}"])
            return (cached[1], cached[2]) if cached else None
        self._profiles[name] = (stamp, profile, text)
        self._set_device_errors(name, notes)
        return profile, text

    def _set_device_errors(self, name: str, errors: list[str]) -> None:
        if errors and errors != self.device_profile_errors.get(name):
            for message in errors:
                log.warning("feedlens: %s", message)
        if errors:
            self.device_profile_errors[name] = errors
        else:
            self.device_profile_errors.pop(name, None)

    def _load_adapters(self) -> AdapterSet:
        """Every layer's adapters (feedlens.layers): the bundled pack, then the user's packs."""
        self.layering = self._loader.load(self.config.rules_dir)
        self._set_errors("adapter_errors", list(self.layering.errors))
        self._adapter_texts = self.layering.texts
        return self.layering.adapter_set()

    def _load_profile(self) -> bool:
        path = self.profile_path()
        stamp = _stamp(path)
        if stamp is not None and stamp == self._profile_stamp:
            return not self.profile_errors
        try:
            profile, text, notes = parent_lock.load_guarded(self.lock, self.fallbacks,
                                                            self.profile_name, path)
        except ProfileError as exc:
            self._set_errors("profile_errors", exc.messages + self._keeping_note(path))
            return False
        self.profile, self._profile_text, self._profile_stamp = profile, text, stamp
        if self.profile.locked and PROFILE_NAME.match(self.profile_name):
            self.lock.set_active(self.profile_name)
        self._set_errors("profile_errors", notes)
        return not notes

    def _keeping_note(self, path: Path) -> list[str]:
        if self.profile is MARK_ONLY:
            return [f"{path}:1: no usable profile; marking only"]
        return [f"{path}:1: keeping the previous version of profile {self.profile.name!r}"]

    def _set_errors(self, attribute: str, errors: list[str]) -> None:
        if errors != getattr(self, attribute):
            for message in errors:
                log.warning("feedlens: %s", message)
        setattr(self, attribute, errors)

    # -- profile choice ---------------------------------------------------------------------

    def profile_names(self) -> list[str]:
        return [p.stem for p in paths.layered_files(self.config.rules_dir, "profiles")]

    def set_profile(self, name: str, *, unlocked: bool = False) -> None:
        """Validate and switch; raises ProfileError (a ValueError) and keeps the current one.
        Leaving the active locked profile needs `unlocked` (the caller checked the PIN)."""
        if self.lock.active and name != self.lock.active and not unlocked:
            raise ProfileError([parent_lock.refusal(self.lock.active, name)])
        if name != self.config.profile and not (PROFILE_NAME.match(name)
                                                and self.profile_path(name).is_file()):
            raise ProfileError([f"no profile named {name!r} (have: {', '.join(self.profile_names())})"])
        profile, text, notes = parent_lock.load_guarded(self.lock, self.fallbacks, name,
                                                        self.profile_path(name))
        with self._lock:
            self.profile_name, self.profile, self._profile_text = name, profile, text
            self._profile_stamp = _stamp(self.profile_path(name))
            self.lock.set_active(name if profile.locked or name in self.fallbacks else None)
            self._set_errors("profile_errors", notes)
            self._rebuild()
            self._signature = self._signature_now()
        self._save_state({"profile": name})
        log.info("feedlens: profile %r is active", name)

    def apply(self, config: Config) -> None:
        """Options changed while running: take the live-changeable ones (the rest need a restart)."""
        if config.rules_dir != self.config.rules_dir:
            self._profile_stamp, self._profiles = None, {}
            self._loader.reset()
        self.config = dataclasses.replace(
            self.config, rules_dir=config.rules_dir, profile=config.profile, mark_style=config.mark_style,
            body_cap=config.body_cap, resolve=config.resolve)
        if config.profile and config.profile != self.profile_name:
            self.set_profile(config.profile)
        self.reload()

    def _state_path(self) -> Path:
        return self.config.data_dir / "state.json"

    def _saved_profile(self) -> str | None:
        try:
            name = json.loads(self._state_path().read_text()).get("profile")
        except (OSError, ValueError, AttributeError):
            return None
        return name if isinstance(name, str) and PROFILE_NAME.match(name) else None

    def _save_state(self, state: dict) -> None:
        write_atomic(self._state_path(), json.dumps(state))

    # -- health -----------------------------------------------------------------------------

    def health(self) -> dict:
        counters = self.counters.snapshot()
        return {
            "ok": self.store.logging,  # red while the data dir cannot be written
            "version": __version__,
            "started": self.started,
            "uptime": round(time.time() - self.started, 1),
            "adapters": [_adapter_summary(a) for a in self.engine.adapters.adapters],
            "adapter_errors": list(self.adapter_errors),
            "packs": self.layering.summary(),  # the rule packs in layer order (feedlens.layers)
            "pack_notices": self.layering.notices(),
            "pack_updates": self.pack_updates.health(),  # per pack: version, age, expiry, last check
            "profile": {"active": self.profile_name, "title": self.profile.title,
                        "version": self.profile.version, "path": str(self.profile_path()),
                        "mark_style": self.engine.profile.title_prefix,
                        "errors": list(self.profile_errors)},
            "my_rules": {"path": str(myrules.layer_path()), "errors": list(self.layer.errors),
                         "rules": len(self.layer.profile.rules) if self.layer.profile else 0,
                         "applied": myrules.applies_to(self.profile)},
            "profiles": self.profile_names(),
            "device_profile_errors": dict(self.device_profile_errors),
            "minors": self.minors.health(),
            "parent_lock": self.lock.health(self.fallbacks, self.lock_refused),
            "counters": counters,
            "coverage": self.gaps.snapshot(),
            "interception": {"ca_trusted": self.counters.ca_trusted(),
                             "tls_ok": counters["tls_ok"], "tls_failures": counters["tls_failures"],
                             "last_tls_failure": counters["last_tls_failure"],
                             "clients": counters["clients"]},
            "last_feed": counters["last_feed"],
            "store": self.store.status(),
            "config": {"data_dir": str(self.config.data_dir), "rules_dir": str(self.config.rules_dir),
                       "service": self.config.service_url, "body_cap": self.config.body_cap,
                       "resolve": {h: f"{a}:{p}" for h, (a, p) in self.config.resolve.items()}},
        }

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        private.ensure_dir(self.config.data_dir)
        fixed = private.fix_modes(self.config.data_dir)  # an older feedlens left 0755/0644
        if fixed:
            log.info("feedlens: made %d entries of %s private (0700/0600)", fixed, self.config.data_dir)
        await self.store.start()
        await self.minors.load()
        await self._apply_lock()
        await self.research.start()
        self._tasks = [asyncio.create_task(self._watch(), name="feedlens-rules-watch"),
                       asyncio.create_task(Uploader(self.research).run(), name="feedlens-study-upload")]
        self.pack_updates.start()

    async def _apply_lock(self) -> None:
        """The store's lock wins over `--profile` and the saved choice (leaving it takes the PIN)."""
        self.lock = parent_lock.LockBook()  # the store's copies, not what the files say now
        await self.lock.load(self.store)
        self.lock_refused = await parent_lock.refuse_start(self.store, self.lock, self.profile_name)
        self.profile_name = self.lock.active or self.profile_name
        self._profile_stamp, self._profiles = None, {}
        await asyncio.to_thread(self.reload)
        await self.lock.flush(self.store)

    async def _watch_lock(self) -> None:  # a CLI command (unlock, confirm) changed the store
        try:
            changed = await self.lock.load(self.store)
            await self.lock.flush(self.store)
        except Exception as exc:  # the store's error shows in health; memory stays in force
            return log.debug("feedlens: parent lock not read/written: %s", exc)
        if changed:
            self._profile_stamp, self._profiles = None, {}
            await asyncio.to_thread(self.reload)

    async def close(self) -> None:
        try:
            await self.pack_updates.stop()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            await self.minors.close()
        finally:  # the queued records are written whatever failed before (SIGTERM loses none)
            await self.store.close()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                if await asyncio.to_thread(self._signature_now) != self._signature:
                    ok = await asyncio.to_thread(self.reload)
                    log.info("feedlens: rules reloaded%s", "" if ok else " with errors (see health)")
                await self._watch_lock()
            except Exception:  # the watcher must outlive any surprise
                log.exception("feedlens: reload failed")


def _adapter_summary(adapter: Adapter) -> dict:
    return {"platform": adapter.platform, "title": adapter.title, "version": adapter.version,
            "path": adapter.path, "endpoints": len(adapter.endpoints), "pack": adapter.pack[0]}
