"""The sections features add to the core schemas (schema.py), registered at start-up.

Core modules import no feature: feedlens/features.py imports them and each registers its
sections here (`limits:` in profiles, `report:` in adapters). Until a section is registered,
the closed core schema refuses it as an unknown key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .yamlsrc import Source

Check = Callable[[Source], list[str]]


@dataclass(frozen=True)
class Part:
    """A section: its JSON Schema, and `check(source)` for what a schema cannot say."""

    schema: dict
    check: Check | None = None


_parts: dict[str, dict[str, Part]] = {"profile": {}, "adapter": {}}
_generation = 0


def register_profile_part(key: str, subschema: dict, check: Check | None = None) -> None:
    """Allow top-level section `key` in profiles; `check` runs once the schema passes."""
    _register("profile", key, Part(subschema, check))


def register_adapter_part(key: str, subschema: dict) -> None:
    """Allow section `key` at an adapter's top level and in each endpoint (like `report:`)."""
    _register("adapter", key, Part(subschema))


def _register(kind: str, key: str, part: Part) -> None:
    global _generation
    current = _parts[kind].get(key)
    if current == part:  # registering the same again is harmless (install is idempotent)
        return
    if current is not None:
        raise ValueError(f"{kind} section {key!r} is already registered differently")
    _parts[kind][key] = part
    _generation += 1


def parts(kind: str) -> dict[str, Part]:
    """The sections registered for `kind` ("profile", "adapter"; none for other kinds)."""
    return dict(_parts.get(kind, {}))


def generation() -> int:
    """Changes whenever the registered sections change (schema.py rebuilds its validators)."""
    return _generation


def replace_all(saved: dict[str, dict[str, Part]]) -> dict[str, dict[str, Part]]:
    """Swap in another registry and return the current one (tests run without features)."""
    global _parts, _generation
    previous, _parts = _parts, {kind: dict(saved.get(kind, {})) for kind in ("profile", "adapter")}
    _generation += 1
    return previous
