"""The composition root: plugs the features into core's registries.

Core modules import no feature. Every entry point calls `install()` before it loads rule files
or builds a store, an engine or the service: the CLI, the add-on script, the Runtime, the
service's app factory, the tests, and each engine worker process (the pool's initializer).
Each feature's `plugin.register()` registers its own parts:
- its schema sections (feedlens.schema_parts): a profile's `limits:`, an adapter's `report:`;
- its own store tables and a per-response profile gate (feedlens.hooks).
"""

from __future__ import annotations


def install() -> None:
    """Every registration is idempotent, so this is too (and a test may swap a registry out
    and install again)."""
    from .choices import plugin as choices
    from .minors import plugin as minors
    from .reports import plugin as reports
    from .research import plugin as research

    for feature in (minors, reports, research, choices):
        feature.register()
