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
- The user's declaration (declare.py), or a change or withdrawal of it, is the user changing
  their choice like a settings write: a new epoch, never a revert. While the declared state is
  `personalised` (the user wants it on) the track never arms, so never reverts; where the
  platform's rules say `declare: required` (the wire shows the feed's state but not the user's
  own change), an undeclared track never arms either. Observations are recorded all the same.
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
    declared: str | None = None  # the declaration this epoch holds the platform to
    declared_at: float | None = None  # its time: tells a new declaration from the same one


@dataclass(frozen=True)
class Revert:
    sure: str  # confirmed | suspected
    reason: str  # two_in_a_row | after_restart | marker | counterfactual
    evidence: list


def new_epoch(track: Track) -> None:
    """The user changed their choice: what was armed or reverted belongs to the old one."""
    track.epoch += 1
    track.armed, track.streak, track.reverted, track.suspected = False, [], False, False
    track.marker_armed = False


def declaration(track: Track, state: str | None, at: float | None) -> bool:
    """Hold the track to the user's declaration in effect (None: none). True when it is a new
    one (or a withdrawal): a new epoch, never a revert."""
    if (state, at) == (track.declared, track.declared_at):
        return False
    new_epoch(track)
    track.declared, track.declared_at = state, at
    return True


def watched(track: Track, required: bool) -> bool:
    """Whether the track may arm: not while the user says they want it on, nor, where the
    platform needs the user's word, before they gave it."""
    if track.declared == ON:
        return False
    return track.declared is not None or not required


def step(track: Track, observation: Observation, now: float, restarted: bool) -> Revert | None:
    """Apply one observation; the revert it reveals, if any. `restarted`: the first
    observation of this track since feedlens started or since a long silence."""
    track.last_seen = now
    if observation.kind == "setting_write":
        new_epoch(track)
        track.last_state = observation.state or track.last_state
        return None
    if not watched(track, observation.declare == "required"):
        if observation.kind != "marker":
            track.last_state = observation.state
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
