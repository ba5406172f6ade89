"""The watchdog: steps each (platform, choice, device) track (track.py) and keeps it, with the
observations and reverts, in the store so a restart of feedlens is handled.

The user's declaration (declare.py) may change in another process (`feedlens choices
declare`) or in the service: each observation reads the one in effect, and the command or the
service applies it to the stored tracks at once (hold_tracks) so the page shows the new epoch."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3

from ..choice import Observation
from . import hide, listeners
from .declare import declared
from .track import OFF, Revert, Track, declaration, step

log = logging.getLogger("feedlens")
# A first observation after this long a silence counts as after a restart (the app or the
# browser was most likely closed), like one after feedlens started.
RESTART_GAP_S = 30 * 60
_COLUMNS = ("epoch", "armed", "streak", "reverted", "suspected", "marker_armed", "last_state", "last_verified",
            "last_seen", "declared", "declared_at")


class Watchdog:
    def __init__(self, store, restart_gap: float = RESTART_GAP_S):
        self.store = store
        self.restart_gap = restart_gap
        self.tracks: dict[tuple, Track] = {}  # loaded from the store on first use

    async def observe(self, observation: Observation, device: str, now: float) -> Revert | None:
        key = (observation.platform, observation.choice, device)
        track = self.tracks.get(key)
        restarted = track is None
        said, stored = await self.store.run_read(lambda db: _read(db, key, track))
        if track is None:
            track = self.tracks.setdefault(key, stored or Track())  # another observation may have won
        else:
            if track.last_seen is not None and now - track.last_seen >= self.restart_gap:
                restarted = True
            if stored is not None and (stored.declared, stored.declared_at) == said:
                track = self.tracks[key] = stored  # the declaring side already began its epoch
        declaration(track, *said)
        revert = step(track, observation, now, restarted)
        def write(db: sqlite3.Connection) -> None:
            save(db, key, track, observation, revert, now)
            listeners.tell(self.store, db, listeners.events(key, track, observation, revert, now))
        await self.store.run_write(write)
        if revert is not None:
            log.warning("feedlens: %s %s revert of %s on %s: %s", revert.sure, revert.reason,
                        observation.choice, observation.platform, revert.evidence)
        if observation.state == OFF and observation.kind in ("flag", "readback"):
            # honoured again: the user's "hide personalised until then" (hide.py) ends
            await asyncio.to_thread(hide.honoured, observation.platform)
        return revert


def _read(db: sqlite3.Connection, key: tuple, cached: Track | None) -> tuple[tuple, Track | None]:
    """The declaration in effect as (state, time), and the stored track when it is not cached
    or the cached one holds to another declaration."""
    found = declared(db, key[0], key[2], key[1])
    said = (found.state, found.time) if found else (None, None)
    if cached is not None and (cached.declared, cached.declared_at) == said:
        return said, None
    return said, load(db, key)


def hold_tracks(db: sqlite3.Connection, platform: str, choice: str) -> int:
    """After a declaration or a withdrawal (on the store's writer): begin a new epoch on each
    stored track of the platform whose declaration in effect changed; how many did."""
    devices = [d for (d,) in db.execute("SELECT device FROM choice_tracks WHERE platform = ? AND choice = ?",
                                        (platform, choice))]
    changed = 0
    for device in devices:
        key = (platform, choice, device)
        track = load(db, key)
        found = declared(db, platform, device, choice)
        if declaration(track, *((found.state, found.time) if found else (None, None))):
            save_track(db, key, track)
            changed += 1
    return changed


def load(db: sqlite3.Connection, key: tuple) -> Track | None:
    row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM choice_tracks "
                     "WHERE platform = ? AND choice = ? AND device = ?", key).fetchone()
    if row is None:
        return None
    values = dict(zip(_COLUMNS, row))
    values.update(armed=bool(values["armed"]), reverted=bool(values["reverted"]),
                  suspected=bool(values["suspected"]), marker_armed=bool(values["marker_armed"]),
                  streak=json.loads(values["streak"]))
    return Track(**values)


def save_track(db: sqlite3.Connection, key: tuple, track: Track) -> None:
    values = (*key, track.epoch, int(track.armed), json.dumps(track.streak), int(track.reverted),
              int(track.suspected), int(track.marker_armed), track.last_state, track.last_verified,
              track.last_seen, track.declared, track.declared_at)
    db.execute(f"INSERT OR REPLACE INTO choice_tracks (platform, choice, device, {', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(values))})", values)


def save(db: sqlite3.Connection, key: tuple, track: Track, observation: Observation,
         revert: Revert | None, now: float) -> None:
    save_track(db, key, track)
    db.execute("INSERT INTO choice_observations (time, platform, choice, device, epoch, rule, kind, "
               "sure, state, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (now, *key, track.epoch, observation.rule, observation.kind, observation.sure,
                observation.state, json.dumps(observation.evidence, ensure_ascii=False)))
    if revert is not None:
        db.execute("INSERT INTO choice_reverts (time, platform, choice, device, epoch, sure, reason, "
                   "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (now, *key, track.epoch, revert.sure, revert.reason,
                    json.dumps(revert.evidence, ensure_ascii=False)))
