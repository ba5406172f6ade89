"""The minors routes of the companion service (filled in by the minors work)."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add this feature's /api routes and dashboard pages (route names of pages start with page_)."""
