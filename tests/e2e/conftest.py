"""Real parts for the end-to-end tests: the replay server and feedlens as separate processes."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .replay import fixture_hosts, make_certs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIG_HOST = "dl.feedlens.test"  # a non-feed host for large downloads
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


@dataclass
class Proc:
    """A child process whose output goes to a log file (shown when a test fails)."""

    popen: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, argv: list[str], log: Path, **kw) -> Proc:
        handle = log.open("wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return cls(subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env=env, **kw), log)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


@dataclass
class Feedlens:
    """A running proxy with its companion service; `fetch` goes through the proxy over HTTPS."""

    proc: Proc
    data_dir: Path
    proxy_port: int
    service_port: int
    extra: dict = field(default_factory=dict)  # for other suites built on these helpers

    @property
    def ca(self) -> Path:
        return self.data_dir / "mitmproxy" / "mitmproxy-ca-cert.pem"

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    @property
    def db(self) -> Path:
        return self.data_dir / "feedlens.sqlite3"

    def opener(self):
        context = ssl.create_default_context(cafile=str(self.ca))
        proxy = f"http://127.0.0.1:{self.proxy_port}"
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": proxy, "https": proxy}),
            urllib.request.HTTPSHandler(context=context))

    def fetch(self, url: str, headers: dict | None = None, data: bytes | None = None):
        request = urllib.request.Request(url, data=data, headers=headers or {})
        with self.opener().open(request, timeout=60) as response:
            return response.status, response.headers, response.read()

    def api(self, path: str, *, token: bool = True, origin: str | None = None):
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        if origin:
            headers["Origin"] = origin
        request = urllib.request.Request(f"http://127.0.0.1:{self.service_port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def login_link(self, lang: str | None = None) -> str:
        """A fresh one-time dashboard link, as `feedlens dashboard` asks for it."""
        from feedlens import dashboard_cli
        link = dashboard_cli.ask_link(self.service_port, self.token)
        return link + (f"&lang={lang}" if lang else "")

    def health(self) -> dict:
        status, body = self.api("/api/health")
        assert status == 200, status
        return body

    def status(self, key: str) -> int:
        """A /proc/<pid>/status value in bytes (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(key)


def _service_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_ready(proc: Proc, service_port: int) -> None:
    def ready():
        if not proc.alive():
            raise AssertionError(f"feedlens exited:\n{proc.output()}")
        return _service_up(service_port)
    wait_until(ready, START_TIMEOUT, f"feedlens to start:\n{proc.output()}")


def start_feedlens(tmp: Path, replay_port: int, ca: Path, *args: str, hosts=None) -> Feedlens:
    data_dir, proxy_port, service_port = tmp / "data", free_port(), free_port()
    resolve = [f"--resolve={host}=127.0.0.1:{replay_port}" for host in hosts or all_hosts()]
    argv = [sys.executable, "-m", "feedlens.cli", "run", "--data-dir", str(data_dir),
            "--listen-port", str(proxy_port), "--service-port", str(service_port),
            "--upstream-ca", str(ca), *resolve, *args]
    proc = Proc.start(argv, tmp / "feedlens.log")
    wait_ready(proc, service_port)
    return Feedlens(proc, data_dir, proxy_port, service_port)


def all_hosts() -> list[str]:
    return fixture_hosts() + [BIG_HOST]


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    make_certs(directory, all_hosts())
    return directory


@pytest.fixture(scope="session")
def replay(certs, tmp_path_factory) -> int:
    """The replay server's port."""
    log = tmp_path_factory.mktemp("replay") / "replay.log"
    proc = Proc.start([sys.executable, str(HERE / "replay.py"), "--certs", str(certs)], log)
    try:
        line = wait_until(lambda: _port_line(proc), 60, "the replay server")
        yield int(line.split()[1])
    finally:
        proc.stop()


def _port_line(proc: Proc) -> str | None:
    if not proc.alive():
        raise AssertionError(f"replay server exited:\n{proc.output()}")
    return next((line for line in proc.output().splitlines() if line.startswith("PORT ")), None)


@pytest.fixture(scope="module")
def feedlens(replay, certs, tmp_path_factory):
    """`feedlens run` with the no-ads profile and title marks on every kept item."""
    instance = start_feedlens(tmp_path_factory.mktemp("feedlens"), replay, certs / "ca.pem",
                              "--profile", "no-ads", "--mark-style", "all")
    try:
        yield instance
    finally:
        instance.proc.stop()
