"""The watchdog's state machine for one (platform, choice, device), pure (no I/O, no clock).

- It arms on the first confirmed observation (a flag or a read-back) of `not_personalised`.
- A settings write seen on the wire is the user changing it: a new epoch, disarmed until the
  next confirmed observation; never a revert.
- A revert, within an epoch with no user change seen: two consecutive confirmed observations
  of `personalised`, or the first confirmed one after a restart (of feedlens, or after
  `restart_gap` seconds without any observation) in the `personalised` state.
- A response marker (or a counterfactual check, counterfactual.py) only ever gives a suspected
  revert; a marker of `not_personalised` arms the track for markers only (YouTube shows nothing
  else).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..choice import Observation

OFF, ON = "not_personalised", "personalised"


@dataclass
class Track:
    epoch: int = 0
    armed: bool = False
    streak: list = field(default_factory=list)  # evidence of the current run of `personalised`
    reverted: bool = False
    suspected: bool = False
    marker_armed: bool = False  # a marker showed the choice honoured (all YouTube shows)
    last_state: str | None = None
    last_verified: float | None = None
    last_seen: float | None = None


@dataclass(frozen=True)
class Revert:
    sure: str  # confirmed | suspected
    reason: str  # two_in_a_row | after_restart | marker | counterfactual
    evidence: list


def step(track: Track, observation: Observation, now: float, restarted: bool) -> Revert | None:
    """Apply one observation; the revert it reveals, if any. `restarted`: the first
    observation of this track since feedlens started or since a long silence."""
    track.last_seen = now
    if observation.kind == "setting_write":
        track.epoch += 1
        track.armed, track.streak, track.reverted, track.suspected = False, [], False, False
        track.marker_armed = False
        track.last_state = observation.state or track.last_state
        return None
    if observation.kind == "marker":
        return _marker(track, observation)
    track.last_state = observation.state
    if observation.state == OFF:
        track.armed, track.streak, track.reverted, track.suspected = True, [], False, False
        track.last_verified = now
        return None
    if not track.armed or track.reverted:
        return None
    track.streak.append({"time": now, **observation.evidence})
    if restarted or len(track.streak) >= 2:
        track.reverted = True
        reason = "after_restart" if restarted and len(track.streak) == 1 else "two_in_a_row"
        return Revert("confirmed", reason, list(track.streak))
    return None


def _marker(track: Track, observation: Observation) -> Revert | None:
    if observation.state == OFF:
        track.marker_armed, track.suspected = True, False
        return None
    if not (track.armed or track.marker_armed) or track.reverted or track.suspected:
        return None
    track.suspected = True
    reason = "counterfactual" if observation.rule == "counterfactual" else "marker"
    return Revert("suspected", reason, [dict(observation.evidence)])
