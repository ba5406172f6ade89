"""Composition: the features this program has, and the schema sections they add.

Core modules (schema.py, profiles.py, adapters.py) import no feature; entry points (the CLI,
the Runtime, the service app, tests) call `install()` before loading rule files, so a profile's
`limits:` and an adapter's `report:` are known sections there.
"""

from __future__ import annotations

import os

from . import schema_parts


def install() -> None:
    """Register every feature's sections; safe to call any number of times."""
    from .minors import plugin as minors
    from .reports import plugin as reports

    minors.register()
    reports.register()
    # Worker processes started with spawn (offload.py) register the same sections from this.
    os.environ[schema_parts.INSTALLER_ENV] = f"{__name__}:install"
