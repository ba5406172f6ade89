"""Budgets and curfews per format on the proxy path (`limits.formats`, format_limits.py): which
formats a device may not be shown now, and what each limited format used today.

Time per format is what usage.UsageBook counts: the time between two responses of a session goes
to the formats the earlier one showed. The running interval since the device's last response
counts too when its formats are on screen, so a budget ends at the response that spends it.
Time a parent grants adds to the daily budget, not to a format's; a grant during the curfew
opens the feed, not a format's curfew.
"""

from __future__ import annotations

from datetime import date

from .format_limits import FormatLimit, is_weekend
from .policy import Limits


class FormatBudgets:
    """Mixed into state.Minors (which has clock, book, limits_for and profile_for)."""

    def hidden_formats(self, device: str, now: float) -> tuple[str, ...]:
        """What the gate hides now: each format whose budget for today is spent or which is in
        its curfew (`format`, or `format:provenance` for a limit narrowed to provenances)."""
        limits = self.limits_for(device)
        return tuple(key for name, status in self.format_status(device, now).items() if status["hidden"]
                     for key in limits.formats[name].gate_keys(name))

    def format_status(self, device: str, now: float) -> dict[str, dict]:
        """format → its minutes used today against today's budget, and whether it is hidden."""
        limits = self.limits_for(device)
        if not limits.formats:
            return {}
        local = self.clock.local(now)
        day, minute = local.date(), local.hour * 60 + local.minute
        return {name: self._one_format(device, name, limit, limits, day, minute, now)
                for name, limit in sorted(limits.formats.items())}

    def _one_format(self, device: str, name: str, limit: FormatLimit, limits: Limits, day: date,
                    minute: int, now: float) -> dict:
        used = self._format_seconds(device, limit.usage_key(name), limits, day, now) / 60
        budget = limit.minutes_on(day)
        reason = None
        if limit.in_curfew(minute):
            reason = "curfew"
        elif budget is not None and used >= budget:
            reason = "budget"
        return {"format": name, "day_type": "weekend" if is_weekend(day) else "school_day",
                "used_minutes": round(used, 1), "budget_minutes": budget,
                "remaining_minutes": None if budget is None else round(max(0.0, budget - used), 1),
                "curfew": _window(limit.curfew), "hidden": reason is not None, "reason": reason,
                "provenance": list(limit.provenance)}

    def _format_seconds(self, device: str, name: str, limits: Limits, day: date, now: float) -> float:
        seconds = self.book.format_day_seconds(device, name, day)
        session = self.book.session(device, now, limits.session_gap_minutes * 60)
        if session is not None and name in session.formats and session.profile == self.profile_for(device):
            seconds += max(0.0, now - max(session.last, self.clock.day_start(day)))
        return seconds


def _window(window: tuple[int, int] | None) -> str | None:
    if window is None:
        return None
    return "–".join(f"{m // 60:02d}:{m % 60:02d}" for m in window)
