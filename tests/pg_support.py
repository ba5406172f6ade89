"""A throwaway PostgreSQL cluster for the study server's tests (and its benchmark).

Debian's server binaries (/usr/lib/postgresql/<version>/bin) run a cluster in a temporary
directory on a free loopback port, with trust authentication (nothing else can reach it: the
socket directory is private and the port is 127.0.0.1). PostgreSQL refuses to run as root, so
as root (CI) the cluster runs as the `postgres` user Debian's package creates, or `nobody`,
through setpriv; the temporary directory belongs to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SUPERUSER = "postgres"


def binaries() -> Path | None:
    """The newest installed server's bin directory, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that drops root, and the account it drops to (None: we are not root)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        prefix = [shutil.which("setpriv") or "setpriv", f"--reuid={account.pw_uid}",
                  f"--regid={account.pw_gid}", "--clear-groups", "--"]
        return prefix, account
    raise RuntimeError("running as root and neither a postgres nor a nobody account exists")


class Cluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.prefix, account = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="feedlens-pg-"))
        if account is not None:
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()

    def _run(self, *argv: str) -> None:
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        subprocess.run([*self.prefix, *argv], check=True, env=env, cwd=self.root,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def start(self) -> "Cluster":
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                  "--auth=trust", "--encoding=UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                      "-o", options, "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {exc.stdout!r}\n{log}") from None
        return self

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh database (each test module its own); returns its DSN."""
        self._run(str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                  f'DROP DATABASE IF EXISTS "{name}"', "-c", f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


# ---- fixtures (tests/conftest.py imports them: one cluster for the whole session) ------------

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_cluster():
    """Without Debian's postgresql the tests that use it skip with the reason, except under
    CI=true where they fail: CI must run them."""
    bindir = binaries()
    if bindir is None:
        _unavailable("Debian's postgresql is not installed (/usr/lib/postgresql/*/bin/initdb): "
                     "`python3 dev.py test` installs it as root")
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        _unavailable("the asyncpg package is missing (pip install -e '.[test]')")
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def pg_dsn(pg_cluster, request) -> str:
    """A fresh database for the test module."""
    return pg_cluster.create_database(request.module.__name__.rsplit(".", 1)[-1])
