"""The minors feature's part of the profile schema: the `limits:` section (see policy.py)."""

from __future__ import annotations

from .. import schema
from . import policy


def register() -> None:
    schema.register_profile_part("limits", policy.LIMITS_SCHEMA, policy.check)
