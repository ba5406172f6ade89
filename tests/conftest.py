from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from feedlens import features, paths

# Never read or write the developer's own ~/.config/feedlens/rules (the user's rule layer):
# one empty folder for the session (subprocesses inherit it), a fresh one per test.
os.environ["FEEDLENS_USER_RULES"] = tempfile.mkdtemp(prefix="feedlens-user-rules-")
os.environ["FEEDLENS_PACKS"] = tempfile.mkdtemp(prefix="feedlens-packs-")  # the user's packs, too
# ... and never the developer's pack subscriptions ($XDG_CONFIG_HOME/feedlens/subscriptions.json)
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="feedlens-config-")
features.install()  # as every entry point does: the features' tables, gates and schema parts

from feedlens.adapters import load_adapters  # noqa: E402
from tests.pg_support import pg_cluster, pg_dsn  # noqa: E402,F401  (the study server's PostgreSQL)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def user_rules(tmp_path_factory, monkeypatch) -> Path:
    folder = tmp_path_factory.mktemp("user-rules")
    monkeypatch.setenv("FEEDLENS_USER_RULES", str(folder))
    return folder


@pytest.fixture(autouse=True)
def user_packs(tmp_path_factory, monkeypatch) -> Path:
    """The user's rule packs folder (feedlens.paths.packs_dir), empty and fresh per test."""
    folder = tmp_path_factory.mktemp("user-packs")
    monkeypatch.setenv("FEEDLENS_PACKS", str(folder))
    return folder


@pytest.fixture(scope="session")
def shipped_adapters():
    return load_adapters([paths.platforms_dir()])


@pytest.fixture
def noon():
    return lambda: datetime(2026, 11, 22, 12, 0)


@pytest.fixture(scope="session")
def pack_certs(tmp_path_factory) -> Path:
    """A test CA (ca.pem) and a certificate for 127.0.0.1 signed by it, made for this session."""
    from tests.e2e.replay import make_certs

    directory = tmp_path_factory.mktemp("pack-certs")
    make_certs(directory, ["localhost"])
    return directory


@pytest.fixture
def pack_server(pack_certs, monkeypatch):
    """A real local HTTPS pack server (tests/pack_server.py); this test and its subprocesses
    trust its CA through $SSL_CERT_FILE, as a user with a private CA can."""
    from tests.pack_server import PackServer

    monkeypatch.setenv("SSL_CERT_FILE", str(pack_certs / "ca.pem"))
    server = PackServer(pack_certs)
    server.start()
    yield server
    server.stop()
