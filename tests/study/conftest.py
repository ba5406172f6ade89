"""The study server's tests run against a real PostgreSQL: one throwaway cluster for the whole
session (tests/pg_support.py), a fresh database per test module. Without Debian's postgresql
they skip with the reason, except under CI=true where they fail: CI must run them."""

from __future__ import annotations

import os

import pytest

from tests.pg_support import Cluster, binaries

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_cluster():
    bindir = binaries()
    if bindir is None:
        _unavailable("Debian's postgresql is not installed (/usr/lib/postgresql/*/bin/initdb): "
                     "`python3 dev.py test` installs it as root")
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        _unavailable("the asyncpg package is missing (pip install -e .)")
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def pg_dsn(pg_cluster, request) -> str:
    """A fresh database for the test module."""
    return pg_cluster.create_database(request.module.__name__.rsplit(".", 1)[-1])
