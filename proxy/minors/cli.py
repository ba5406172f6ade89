"""Command line: feedlens parent …."""

from __future__ import annotations


def add_parent_parser(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
