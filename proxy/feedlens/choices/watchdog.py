"""The watchdog: steps each (platform, choice, device) track (track.py) and keeps it, with the
observations and reverts, in the store so a restart of feedlens is handled."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3

from ..choice import Observation
from . import hide, listeners
from .track import OFF, Revert, Track, step

log = logging.getLogger("feedlens")
# A first observation after this long a silence counts as after a restart (the app or the
# browser was most likely closed), like one after feedlens started.
RESTART_GAP_S = 30 * 60
_COLUMNS = ("epoch", "armed", "streak", "reverted", "suspected", "marker_armed", "last_state", "last_verified",
            "last_seen")


class Watchdog:
    def __init__(self, store, restart_gap: float = RESTART_GAP_S):
        self.store = store
        self.restart_gap = restart_gap
        self.tracks: dict[tuple, Track] = {}  # loaded from the store on first use

    async def observe(self, observation: Observation, device: str, now: float) -> Revert | None:
        key = (observation.platform, observation.choice, device)
        track = self.tracks.get(key)
        restarted = track is None
        if track is None:
            loaded = await self.store.run_read(lambda db: load(db, key)) or Track()
            track = self.tracks.setdefault(key, loaded)  # another observation may have won
        elif track.last_seen is not None and now - track.last_seen >= self.restart_gap:
            restarted = True
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


def save(db: sqlite3.Connection, key: tuple, track: Track, observation: Observation,
         revert: Revert | None, now: float) -> None:
    values = (*key, track.epoch, int(track.armed), json.dumps(track.streak), int(track.reverted),
              int(track.suspected), int(track.marker_armed), track.last_state, track.last_verified, track.last_seen)
    db.execute(f"INSERT OR REPLACE INTO choice_tracks (platform, choice, device, {', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(values))})", values)
    db.execute("INSERT INTO choice_observations (time, platform, choice, device, epoch, rule, kind, "
               "sure, state, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (now, *key, track.epoch, observation.rule, observation.kind, observation.sure,
                observation.state, json.dumps(observation.evidence, ensure_ascii=False)))
    if revert is not None:
        db.execute("INSERT INTO choice_reverts (time, platform, choice, device, epoch, sure, reason, "
                   "evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (now, *key, track.epoch, revert.sure, revert.reason,
                    json.dumps(revert.evidence, ensure_ascii=False)))
