"""What the choice watchdog plugs into core: its tables, their pruning and the watcher of
Observations."""

from __future__ import annotations

from .. import hooks
from . import schema as tables
from .prune import prune
from .watchdog import Watchdog


def register() -> None:
    hooks.register_store_tables("choices", tables.MIGRATIONS)
    hooks.register_store_pruner("choices", prune)  # old observations go with the items
    hooks.register_choice_watcher("choices", Watchdog)
