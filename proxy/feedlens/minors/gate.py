"""What the proxy does with one feed response of a device: pass, empty feed, block or rest page.

Blocking never breaks the platform's client: an API response keeps its JSON shape and loses
its items (a profile whose only rule hides everything, applied by the same engine and
rewrite), and an HTML feed page is answered with our own page. Per-session quotas
(`session_items`) hide items of a provenance beyond N per session.
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

PASS, EMPTY, BLOCK_PAGE, REST_PAGE = "pass", "empty", "block_page", "rest_page"


@dataclass(frozen=True)
class Gate:
    action: str = PASS
    reason: str | None = None  # curfew | budget | rest
    until: float | None = None
    quota: tuple[tuple[str, int], ...] = ()  # items each provenance may still show this session

    @property
    def hide_all(self) -> bool:
        return self.action == EMPTY


OPEN = Gate()


def decide(status: dict, *, html: bool, quota: dict[str, int] | None = None) -> Gate:
    """The gate for a feed response given the device's Minors.status()."""
    if status.get("blocked"):
        return Gate(BLOCK_PAGE if html else EMPTY, status.get("reason"), status.get("until"))
    if html and status.get("rest_due"):
        return Gate(REST_PAGE, "rest")
    return Gate(quota=tuple(sorted((quota or {}).items())))


def gated_profile(profile: Profile, *, hide_all: bool = False,
                  quota: dict[str, int] | None = None) -> Profile:
    """The profile for one response: everything hidden, or the session quota rule in front.

    Build one per response: the quota rule counts the items it lets through.
    """
    if hide_all:
        # an empty page, no placeholder card asking to keep scrolling: the feed is closed
        return dataclasses.replace(profile, rules=[_rule(BLOCKED_RULE, lambda item, now: True)],
                                   keep_paging=False)
    if not quota:
        return profile
    return dataclasses.replace(profile, rules=[_quota_rule(profile, dict(quota))] + list(profile.rules))


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


def shown_counts(items: Iterable[Item]) -> dict[str, int]:
    """Items the client will show, by provenance (what session quotas count)."""
    out: dict[str, int] = {}
    for item in items:
        if item.decision != "hide":
            key = str(item.provenance)
            out[key] = out.get(key, 0) + 1
    return out
