"""What the minors feature plugs into core: the profile's `limits:` section (policy.py), its
tables, and the per-response gate (gate.py) that worker processes apply by name."""

from __future__ import annotations

from .. import hooks, schema
from . import gate, parent_schema, policy, schema as tables


def register() -> None:
    schema.register_profile_part("limits", policy.LIMITS_SCHEMA, policy.check)
    hooks.register_store_tables("minors", tables.MIGRATIONS)
    hooks.register_store_tables("parent", parent_schema.MIGRATIONS)
    hooks.register_profile_gate(gate.GATE_NAME, gate.gated_profile)
