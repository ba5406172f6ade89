"""Budgets and curfews per format (`limits.formats`, docs/devices-and-limits.md):

    limits:
      formats:
        short_video: {minutes: {school_days: 0, weekends: 20}, curfew: {from: "20:00", to: "08:00"}}
        live: {minutes: 30}                    # every day
        video: {minutes: 30, provenance: [personalized, popular]}   # only recommended videos

`provenance` narrows a limit to items of those provenances: their time is counted and they are
hidden once it is spent, while the format's other items (from followed channels, search) stay.

`minutes` is one number for every day or one per day type: school days are Monday to Friday,
weekends Saturday and Sunday (public holidays are not known). A day type left out has no budget.
Format names are feedlens.item_format.FORMATS; a misspelt one is refused with the closest name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..item_format import FORMATS
from ..model import Provenance

HHMM = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
_MINUTES = {"type": "integer", "minimum": 0, "maximum": 1440}
CURFEW_SCHEMA = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {"from": {"type": "string", "pattern": HHMM},
                   "to": {"type": "string", "pattern": HHMM}},
    "additionalProperties": False,
}
FORMATS_SCHEMA = {
    "type": "object",
    "propertyNames": {"enum": list(FORMATS)},
    "additionalProperties": {
        "type": "object",
        "minProperties": 1,
        "properties": {
            # one number for every day, or one per day type (no oneOf: its errors say less)
            "minutes": {"type": ["integer", "object"], "minimum": 0, "maximum": 1440,
                        "minProperties": 1, "additionalProperties": False,
                        "properties": {"school_days": _MINUTES, "weekends": _MINUTES}},
            "curfew": CURFEW_SCHEMA,
            "provenance": {"type": "array", "minItems": 1, "uniqueItems": True,
                           "items": {"enum": [p.value for p in Provenance]}},
        },
        "additionalProperties": False,
    },
}


def clock_minutes(text: str) -> int:
    """Minutes after midnight of "HH:MM"."""
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def in_window(window: tuple[int, int] | None, minute_of_day: int) -> bool:
    """Whether a (from, to) window in minutes after midnight covers the minute; it may cross midnight."""
    if window is None:
        return False
    start, end = window
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


@dataclass(frozen=True)
class FormatLimit:
    school_days: int | None = None  # minutes on Monday to Friday; None: no budget
    weekends: int | None = None  # minutes on Saturday and Sunday
    curfew: tuple[int, int] | None = None  # (from, to) in minutes after local midnight
    provenance: tuple[str, ...] = ()  # only items of these provenances (none: every item)

    def usage_key(self, name: str) -> str:
        """What this limit's time is counted under: the format, or the format narrowed to its
        provenances ("video:personalized+popular"), whose own time is only theirs."""
        return f"{name}:{'+'.join(self.provenance)}" if self.provenance else name

    def gate_keys(self, name: str) -> tuple[str, ...]:
        """What the gate hides when this limit is spent: the format, or the format of each of
        its provenances ("video:personalized"); an item matches `format` or `format:provenance`."""
        return tuple(f"{name}:{p}" for p in self.provenance) if self.provenance else (name,)

    def minutes_on(self, day: date) -> int | None:
        return self.weekends if is_weekend(day) else self.school_days

    def in_curfew(self, minute_of_day: int) -> bool:
        return in_window(self.curfew, minute_of_day)


def parse_format_limit(data: dict) -> FormatLimit:
    minutes, curfew = data.get("minutes"), data.get("curfew")
    if isinstance(minutes, int):
        school_days = weekends = minutes
    else:
        school_days, weekends = (minutes or {}).get("school_days"), (minutes or {}).get("weekends")
    window = (clock_minutes(curfew["from"]), clock_minutes(curfew["to"])) if curfew else None
    return FormatLimit(school_days, weekends, window, tuple(sorted(set(data.get("provenance") or ()))))


def parse_formats(data: dict | None) -> dict[str, FormatLimit]:
    return {name: parse_format_limit(entry) for name, entry in (data or {}).items()}


def check_formats(source, formats) -> list[str]:
    """`file:line` messages for each format curfew whose `from` equals its `to`."""
    out = []
    for name, entry in (formats or {}).items() if isinstance(formats, dict) else ():
        curfew = entry.get("curfew") if isinstance(entry, dict) else None
        if isinstance(curfew, dict) and curfew.get("from") is not None and curfew.get("from") == curfew.get("to"):
            where = ("limits", "formats", name, "curfew")
            out.append(source.at(where, f"limits.formats.{name}.curfew: `from` and `to` are the same "
                                        "time; leave curfew out for none"))
    return out
