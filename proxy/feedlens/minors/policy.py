"""The `limits:` section of a profile: daily budget, curfew, rest reminder, per-session quotas.

    limits:
      daily_minutes: 60                      # active feed use per device per local day
      curfew: {from: "22:00", to: "06:00"}   # local time; may cross midnight
      rest_reminder_minutes: 30              # continuous use before a rest reminder
      session_gap_minutes: 10                # an idle gap this long ends continuous use
      session_items: {personalized: 20}      # at most N shown items of a provenance per session
      formats:                               # budgets and curfews per format (format_limits.py)
        short_video: {minutes: {school_days: 0, weekends: 20}, curfew: {from: "20:00", to: "08:00"}}

minors/plugin.py registers LIMITS_SCHEMA and `check` (what a schema cannot say) as the profile's
`limits:` section, so the one profile loader (profiles.py) validates both with file:line messages.
Everything absent is unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Provenance
from .format_limits import (CURFEW_SCHEMA, FORMATS_SCHEMA, FormatLimit, check_formats, clock_minutes,
                            in_window, parse_formats)

PROVENANCES = [p.value for p in Provenance]
DEFAULT_SESSION_GAP = 10

LIMITS_SCHEMA = {
    "type": "object",
    "properties": {
        "daily_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
        "curfew": CURFEW_SCHEMA,
        "rest_reminder_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "session_gap_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
        "session_items": {
            "type": "object",
            "propertyNames": {"enum": PROVENANCES},
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "formats": FORMATS_SCHEMA,
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
    formats: dict[str, FormatLimit] = field(default_factory=dict)  # format → its budget and curfew

    @property
    def any(self) -> bool:
        """Whether anything is limited (a session gap alone limits nothing)."""
        return (self.daily_minutes is not None or self.curfew is not None
                or self.rest_reminder_minutes is not None or bool(self.session_items)
                or bool(self.formats))

    def in_curfew(self, minute_of_day: int) -> bool:
        return in_window(self.curfew, minute_of_day)


NO_LIMITS = Limits()


def parse_limits(data: dict | None) -> Limits:
    """Limits from a schema-valid `limits:` mapping (None: no limits)."""
    if not data:
        return NO_LIMITS
    curfew = data.get("curfew")
    return Limits(
        daily_minutes=data.get("daily_minutes"),
        curfew=(clock_minutes(curfew["from"]), clock_minutes(curfew["to"])) if curfew else None,
        rest_reminder_minutes=data.get("rest_reminder_minutes"),
        session_gap_minutes=data.get("session_gap_minutes", DEFAULT_SESSION_GAP),
        session_items=dict(data.get("session_items", {})),
        formats=parse_formats(data.get("formats")))


def limits_of(profile) -> Limits:
    """The limits of a compiled profile (proxy.profiles.Profile keeps its raw data)."""
    raw = getattr(profile, "raw", None) or {}
    return parse_limits(raw.get("limits"))


def check(source) -> list[str]:
    """`file:line: message` for what the schema cannot check (source: proxy.yamlsrc.Source)."""
    data = source.data.get("limits") if isinstance(source.data, dict) else None
    if not isinstance(data, dict):
        return []
    out, curfew = [], data.get("curfew")
    if isinstance(curfew, dict) and curfew.get("from") is not None and curfew.get("from") == curfew.get("to"):
        out.append(source.at(("limits", "curfew"), "limits.curfew: `from` and `to` are the same time; "
                                                     "leave curfew out for none"))
    return out + check_formats(source, data.get("formats"))


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
