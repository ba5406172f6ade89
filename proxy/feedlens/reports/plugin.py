"""What the reports feature plugs into core: the adapter's `report:` section (section.py) and
its tables."""

from __future__ import annotations

from .. import hooks, schema
from . import schema as tables
from .section import REPORT_SCHEMA, check_rules_dirs


def register() -> None:
    schema.register_adapter_part("report", REPORT_SCHEMA)
    hooks.register_store_tables("reports", tables.MIGRATIONS)
    hooks.register_rules_check("reports", check_rules_dirs)
