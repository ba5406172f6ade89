"""Command line: feedlens export, feedlens research …."""

from __future__ import annotations


def add_research_parsers(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
