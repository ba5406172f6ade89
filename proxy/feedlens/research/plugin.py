"""What the research feature plugs into core: its tables (consented records, switch audits) and
its listeners of the choice watchdog's events (recorded as research records while research mode
records; followed by switch audits that take their condition from the observed state)."""

from __future__ import annotations

from .. import hooks
from . import audit_observed, audit_schema, choice_events, schema as tables


def register() -> None:
    hooks.register_store_tables("research", tables.MIGRATIONS)
    hooks.register_store_tables("audit", audit_schema.MIGRATIONS)
    hooks.register_choice_listener("research", choice_events.listener)
    hooks.register_choice_listener("audit", audit_observed.listener)
