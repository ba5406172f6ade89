"""What the choice watchdog plugs into core: its tables and the watcher of Observations."""

from __future__ import annotations

from .. import hooks
from . import schema as tables
from .watchdog import Watchdog


def register() -> None:
    hooks.register_store_tables("choices", tables.MIGRATIONS)
    hooks.register_choice_watcher("choices", Watchdog)
