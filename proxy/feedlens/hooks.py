"""Where features plug into core. Core reads these registries and never fills them itself.

A feature (minors, reports, research) registers its parts once, from `feedlens.features.install()`,
which every entry point calls: the CLI, the add-on, the service and each engine worker process.
Core therefore never imports a feature, and a feature that is not installed simply is not there.

- store tables: a feature's own SQLite tables and their migrations, versioned per feature;
- profile gates: a per-response change of the profile (the minors' gate hides everything or
  applies a session quota); named, so a worker process can apply the same gate by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migrations = list[tuple[str, ...]]

_store_tables: dict[str, Migrations] = {}
_profile_gates: dict[str, Callable[..., Any]] = {}


def register_store_tables(name: str, migrations: Migrations) -> None:
    """Tables of a feature, created and upgraded by the store's writer at start."""
    _store_tables[name] = migrations


def store_tables() -> dict[str, Migrations]:
    return dict(_store_tables)


# A feature's share of the item log's retention: `prune(conn, cutoff) -> rows deleted`, run by
# the store's pruner in its transaction, with the same cutoff as the items' (retention_days).
_store_pruners: dict[str, Callable[..., int]] = {}


def register_store_pruner(name: str, prune: Callable[..., int]) -> None:
    _store_pruners[name] = prune


def store_pruners() -> dict[str, Callable[..., int]]:
    return dict(_store_pruners)


def register_profile_gate(name: str, gate: Callable[..., Any]) -> None:
    """`gate(profile, **params) -> profile`, applied to one response's profile."""
    _profile_gates[name] = gate


def profile_gate(name: str) -> Callable[..., Any]:
    """Raises KeyError for a gate no installed feature registered."""
    return _profile_gates[name]


# Extra checks of a rules directory (`feedlens rules check`, a pack's verification):
# `check(targets, adapters) -> list of "file:line: problem"`, e.g. the reports feature's check
# of each adapter's `report:` section against the report categories.
_rules_checks: dict[str, Callable[..., list[str]]] = {}


def register_rules_check(name: str, check: Callable[..., list[str]]) -> None:
    _rules_checks[name] = check


def rules_checks() -> dict[str, Callable[..., list[str]]]:
    return dict(_rules_checks)


# Who watches the personalisation switch (feedlens.choice's Observations): `factory(store)`
# returns a watcher with `async observe(observation, device, now)`; the add-on calls each.
_choice_watchers: dict[str, Callable[..., Any]] = {}


def register_choice_watcher(name: str, factory: Callable[..., Any]) -> None:
    _choice_watchers[name] = factory


def choice_watchers() -> dict[str, Callable[..., Any]]:
    return dict(_choice_watchers)


# Who hears what the choice watchdog recorded: `listener(store, conn, event)` runs on the store's
# writer thread inside the watchdog's own write, once per observation and once per revert.
# `event` is a plain dict: time, platform, choice, device, epoch, event ("observation" |
# "revert"), rule, kind, sure, state, reason (reverts; else None), evidence (a dict, or a list
# of them for a revert). The watchdog runs each listener in a savepoint: a failing one is rolled
# back and logged, never the watchdog's own rows (research records them, audits follow them).
_choice_listeners: dict[str, Callable[..., None]] = {}


def register_choice_listener(name: str, listener: Callable[..., None]) -> None:
    _choice_listeners[name] = listener


def choice_listeners() -> dict[str, Callable[..., None]]:
    return dict(_choice_listeners)
