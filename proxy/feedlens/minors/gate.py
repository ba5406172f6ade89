"""What the proxy does with one feed response of a device: pass, empty feed, block or rest page.

Blocking never breaks the platform's client: an API response keeps its JSON shape and loses
its items (a profile whose only rule hides everything, applied by the same engine and
rewrite), and an HTML feed page is answered with our own page. Per-session quotas
(`session_items`) hide items of a provenance beyond N per session. A format whose budget is spent
or which is in its curfew (`limits.formats`) loses its items only: the rest of the feed stays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Item
from ..profiles import Profile, Rule

GATE_NAME = "minors"  # registered with feedlens.hooks, applied by name in worker processes
BLOCKED_RULE = "minors:blocked"
SESSION_RULE = "minors:session_items"
FORMAT_RULE = "minors:format_budget"

PASS, EMPTY, BLOCK_PAGE, REST_PAGE = "pass", "empty", "block_page", "rest_page"


@dataclass(frozen=True)
class Gate:
    action: str = PASS
    reason: str | None = None  # curfew | budget | rest
    until: float | None = None
    quota: tuple[tuple[str, int], ...] = ()  # items each provenance may still show this session
    formats: tuple[str, ...] = ()  # formats hidden now (budget spent or in their curfew)

    @property
    def hide_all(self) -> bool:
        return self.action == EMPTY


OPEN = Gate()


def decide(status: dict, *, html: bool, quota: dict[str, int] | None = None,
           formats: tuple[str, ...] = ()) -> Gate:
    """The gate for a feed response given the device's Minors.status() (and hidden_formats())."""
    if status.get("blocked"):
        return Gate(BLOCK_PAGE if html else EMPTY, status.get("reason"), status.get("until"))
    if html and status.get("rest_due"):
        return Gate(REST_PAGE, "rest")
    return Gate(quota=tuple(sorted((quota or {}).items())), formats=tuple(sorted(formats)))


def applies(decision: Gate) -> bool:
    """Whether this response needs a gated profile."""
    return decision.action != PASS or bool(decision.quota) or bool(decision.formats)


def gated_profile(profile: Profile, *, hide_all: bool = False,
                  quota: dict[str, int] | None = None, formats: tuple[str, ...] = ()) -> Profile:
    """The profile for one response: everything hidden, or the format rule and the session quota
    rule in front (a hidden format's items use no quota slot).

    Build one per response: the quota rule counts the items it lets through.
    """
    if hide_all:
        # an empty page, no placeholder card asking to keep scrolling: the feed is closed
        return dataclasses.replace(profile, rules=[_rule(BLOCKED_RULE, lambda item, now: True)],
                                   keep_paging=False)
    front = []
    if formats:
        hidden = frozenset(formats)  # `format`, or `format:provenance` (format_limits.gate_keys)
        front.append(_rule(FORMAT_RULE, lambda item, now: item.format in hidden
                           or f"{item.format}:{item.provenance}" in hidden))
    if quota:
        front.append(_quota_rule(profile, dict(quota)))
    if not front:
        return profile
    return dataclasses.replace(profile, rules=front + list(profile.rules))


def _rule(rule_id: str, matches) -> Rule:
    return Rule(id=rule_id, action="hide", matches=matches, max=None, text=None, expires=None, line=0)


def _quota_rule(profile: Profile, remaining: dict[str, int]) -> Rule:
    later = profile.rules
    allow_only = any(r.action == "allow_only" for r in later)

    def hidden_anyway(item: Item, now) -> bool:
        rule = next((r for r in later if r.active(now) and r.matches(item, now)), None)
        return rule.action == "hide" if rule is not None else allow_only

    def over_quota(item: Item, now) -> bool:
        provenance = str(item.provenance)
        if provenance not in remaining or hidden_anyway(item, now):
            return False  # an item the profile hides anyway uses no slot
        if remaining[provenance] <= 0:
            return True
        remaining[provenance] -= 1
        return False
    return _rule(SESSION_RULE, over_quota)


def shown_formats(items: Iterable[Item]) -> set[str]:
    """The formats of the items the client will show (what is on screen until the next response),
    each also as `format:provenance`, for limits narrowed to provenances (state.record_feed)."""
    shown = [item for item in items if item.decision != "hide"]
    return {str(i.format) for i in shown} | {f"{i.format}:{i.provenance}" for i in shown}


def shown_counts(items: Iterable[Item]) -> dict[str, int]:
    """Items the client will show, by provenance (what session quotas count)."""
    out: dict[str, int] = {}
    for item in items:
        if item.decision != "hide":
            key = str(item.provenance)
            out[key] = out.get(key, 0) + 1
    return out
