"""The `limits:` section of a profile: daily budget, curfew, rest reminder, per-session quotas.

    limits:
      daily_minutes: 60                      # active feed use per device per local day
      curfew: {from: "22:00", to: "06:00"}   # local time; may cross midnight
      rest_reminder_minutes: 30              # continuous use before a rest reminder
      session_gap_minutes: 10                # an idle gap this long ends continuous use
      session_items: {personalized: 20}      # at most N shown items of a provenance per session

minors/plugin.py registers LIMITS_SCHEMA and `check` (what a schema cannot say) as the profile's
`limits:` section, so the one profile loader (profiles.py) validates both with file:line messages.
Everything absent is unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Provenance

PROVENANCES = [p.value for p in Provenance]
_HHMM = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
DEFAULT_SESSION_GAP = 10

LIMITS_SCHEMA = {
    "type": "object",
    "properties": {
        "daily_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
        "curfew": {
            "type": "object",
            "required": ["from", "to"],
            "properties": {"from": {"type": "string", "pattern": _HHMM},
                           "to": {"type": "string", "pattern": _HHMM}},
            "additionalProperties": False,
        },
        "rest_reminder_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "session_gap_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "session_items": {
            "type": "object",
            "propertyNames": {"enum": PROVENANCES},
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Limits:
    daily_minutes: int | None = None
    curfew: tuple[int, int] | None = None  # (from, to) in minutes after local midnight
    rest_reminder_minutes: int | None = None
    session_gap_minutes: int = DEFAULT_SESSION_GAP
    session_items: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        """Whether anything is limited (a session gap alone limits nothing)."""
        return (self.daily_minutes is not None or self.curfew is not None
                or self.rest_reminder_minutes is not None or bool(self.session_items))

    def in_curfew(self, minute_of_day: int) -> bool:
        if self.curfew is None:
            return False
        start, end = self.curfew
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end


NO_LIMITS = Limits()


def _minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def parse_limits(data: dict | None) -> Limits:
    """Limits from a schema-valid `limits:` mapping (None: no limits)."""
    if not data:
        return NO_LIMITS
    curfew = data.get("curfew")
    return Limits(
        daily_minutes=data.get("daily_minutes"),
        curfew=(_minutes(curfew["from"]), _minutes(curfew["to"])) if curfew else None,
        rest_reminder_minutes=data.get("rest_reminder_minutes"),
        session_gap_minutes=data.get("session_gap_minutes", DEFAULT_SESSION_GAP),
        session_items=dict(data.get("session_items", {})))


def limits_of(profile) -> Limits:
    """The limits of a compiled profile (proxy.profiles.Profile keeps its raw data)."""
    raw = getattr(profile, "raw", None) or {}
    return parse_limits(raw.get("limits"))


def check(source) -> list[str]:
    """`file:line: message` for what the schema cannot check (source: proxy.yamlsrc.Source)."""
    data = source.data.get("limits") if isinstance(source.data, dict) else None
    curfew = data.get("curfew") if isinstance(data, dict) else None
    if isinstance(curfew, dict) and curfew.get("from") is not None and curfew.get("from") == curfew.get("to"):
        return [source.at(("limits", "curfew"), "limits.curfew: `from` and `to` are the same time; "
                                                  "leave curfew out for none")]
    return []


def file_limits(rules_dir):
    """name → Limits read from the profile files of a rules directory (for code without a Runtime,
    e.g. tests' fake runtime); a missing or broken profile has no limits."""
    from .. import paths
    from ..profiles import ProfileError, load_profile
    cache: dict[str, tuple[tuple, Limits]] = {}

    def limits(name: str) -> Limits:
        try:
            path = paths.resolve_profile(name, rules_dir)
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if name not in cache or cache[name][0] != stamp:
                cache[name] = (stamp, limits_of(load_profile(path)))
            return cache[name][1]
        except (OSError, ProfileError, ValueError):
            return NO_LIMITS
    return limits
