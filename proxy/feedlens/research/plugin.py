"""What the research feature plugs into core: its tables (consented records, switch audits)."""

from __future__ import annotations

from .. import hooks
from . import audit_schema, schema as tables


def register() -> None:
    hooks.register_store_tables("research", tables.MIGRATIONS)
    hooks.register_store_tables("audit", audit_schema.MIGRATIONS)
