"""Command line: feedlens reports list|export|verify."""

from __future__ import annotations


def add_reports_parser(sub) -> None:
    """Register this feature's subcommands on the top-level subparsers."""
