"""The composition root: plugs the features into core's registries.

Core modules import no feature. Every entry point calls `install()` before it loads rule files
or builds a store, an engine or the service: the CLI, the add-on script, the Runtime, the
service's app factory, the tests, and each engine worker process (the pool's initializer). It
is idempotent. A feature registers
- its schema sections (feedlens.schema_parts): a profile's `limits:`, an adapter's `report:`;
- its own store tables and a per-response profile gate (feedlens.hooks).
"""

from __future__ import annotations

from . import hooks

def install() -> None:
    """Every registration is idempotent, so this is too (and a test may swap a registry out
    and install again)."""
    _install_minors()
    _install_reports()
    _install_research()


def _install_minors() -> None:
    from .minors import gate, parent_schema, plugin, schema as minors_tables

    plugin.register()
    hooks.register_store_tables("minors", minors_tables.MIGRATIONS)
    hooks.register_store_tables("parent", parent_schema.MIGRATIONS)
    hooks.register_profile_gate(gate.GATE_NAME, gate.gated_profile)


def _install_reports() -> None:
    from .reports import plugin, schema as reports_tables

    plugin.register()
    hooks.register_store_tables("reports", reports_tables.MIGRATIONS)


def _install_research() -> None:
    from .research import audit_schema, schema as research_tables

    hooks.register_store_tables("research", research_tables.MIGRATIONS)
    hooks.register_store_tables("audit", audit_schema.MIGRATIONS)
