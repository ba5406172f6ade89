"""The composition root: plugs the features into core's registries (feedlens.hooks).

Every entry point calls `install()` before it builds a store, an engine or the service: the
CLI, the mitmproxy add-on, the service's app factory, and each engine worker process (as the
pool's initializer). It is idempotent.
"""

from __future__ import annotations

from . import hooks

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _install_minors()
    _install_reports()
    _install_research()
    _installed = True


def _install_minors() -> None:
    from .minors import gate, parent_schema, schema as minors_tables

    hooks.register_store_tables("minors", minors_tables.MIGRATIONS)
    hooks.register_store_tables("parent", parent_schema.MIGRATIONS)
    hooks.register_profile_gate(gate.GATE_NAME, gate.gated_profile)


def _install_reports() -> None:
    from .reports import schema as reports_tables

    hooks.register_store_tables("reports", reports_tables.MIGRATIONS)


def _install_research() -> None:
    from .research import audit_schema, schema as research_tables

    hooks.register_store_tables("research", research_tables.MIGRATIONS)
    hooks.register_store_tables("audit", audit_schema.MIGRATIONS)
