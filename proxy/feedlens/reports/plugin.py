"""The reports feature's part of the adapter schema: the `report:` section (see section.py)."""

from __future__ import annotations

from .. import schema
from .section import REPORT_SCHEMA


def register() -> None:
    schema.register_adapter_part("report", REPORT_SCHEMA)
