"""An installed feedlens works outside the checkout: the wheel carries the rules and the add-on.

The wheel is built from this checkout and installed into a new virtual environment in a
temporary directory; its dependencies come from the test environment's site-packages (added as
a plain path, so the checkout's editable install is not seen). Every command then runs from
another directory, as a user's would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "proxy" / "feedlens"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    [built] = out.glob("feedlens-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A new venv with the wheel installed; returns its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "-q", str(wheel)], check=True, capture_output=True)
    return env_dir / "bin"


def outside(tmp_path: Path) -> dict:
    """Run from a directory that is not the checkout, with no hint where the checkout is."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FEEDLENS_RULES")}
    return {"cwd": tmp_path, "env": env, "capture_output": True, "text": True, "timeout": 120}


def test_wheel_holds_rules_addon_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_rules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "rules").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts}
    package_files = {p.relative_to(ROOT / "proxy").as_posix() for p in PACKAGE.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts}  # modules, templates, catalogues
    assert {f"feedlens/{name}" for name in shipped_rules} <= names
    assert package_files - names == set()
    assert "feedlens/script.py" in names
    assert any(n.startswith("feedlens/rules/platforms/") and n.endswith(".yaml") for n in names)
    assert not any(n.startswith(("proxy/", "tests/", "addons/")) for n in names)


def test_rules_check_outside_the_checkout(installed, tmp_path):
    done = subprocess.run([installed / "feedlens", "rules", "check"], **outside(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    adapters = len(list((ROOT / "rules" / "platforms").glob("*.yaml")))
    assert "fixture cases: OK" in done.stderr
    checked = int(done.stderr.split("checked ")[1].split()[0])
    assert checked >= adapters


def test_installed_bundled_pack_verifies(installed, tmp_path):
    """The wheel ships rules/pack.yaml and every file it lists, unchanged."""
    where = subprocess.run([installed / "python", "-c", "import feedlens.paths as p; print(p.bundled_rules_dir())"],
                           **outside(tmp_path))
    rules = Path(where.stdout.strip())
    assert rules.is_relative_to(installed.parent) and (rules / "pack.yaml").is_file(), where.stderr
    done = subprocess.run([installed / "feedlens", "rules", "verify", rules], **outside(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok: feedlens-core ")


def test_no_proxy_package_and_addon_path_is_installed(installed, tmp_path):
    python = installed / "python"
    assert subprocess.run([python, "-c", "import proxy"], **outside(tmp_path)).returncode != 0
    done = subprocess.run([installed / "feedlens", "addon-path"], **outside(tmp_path))
    script = Path(done.stdout.strip())
    assert script.is_file() and script.is_relative_to(installed.parent)
    loaded = subprocess.run([python, "-c", f"import runpy; print(len(runpy.run_path({str(script)!r})['addons']))"],
                            **outside(tmp_path))
    assert loaded.stdout.strip() == "1", loaded.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_health_outside_the_checkout(installed, tmp_path):
    proxy_port, service_port = _free_port(), _free_port()
    options = outside(tmp_path)
    del options["capture_output"], options["text"], options["timeout"]
    process = subprocess.Popen(
        [installed / "feedlens", "run", "--listen-port", str(proxy_port), "--service-port",
         str(service_port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **options)
    try:
        assert _wait_for_health(service_port, process)["ok"] is True
        token = (tmp_path / "data" / "token").read_text().strip()
        health = _get(f"http://127.0.0.1:{service_port}/api/health", token)
        page = _dashboard(_login_link(service_port, token) + "&lang=zh")
        assert "<html" in page and "feedlens" in page  # templates and catalogues were installed
        assert len(health["adapters"]) == len(list((ROOT / "rules" / "platforms").glob("*.yaml")))
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _wait_for_health(port: int, process) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode(errors="replace"))
        try:
            return _get(f"http://127.0.0.1:{port}/api/health")
        except OSError:
            time.sleep(0.3)
    raise AssertionError("feedlens run never served /api/health")


def _get(url: str, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
        return json.load(answer)


def _login_link(port: int, token: str) -> str:
    """A one-time dashboard link, asked for as `feedlens dashboard` does."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/login-link", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)["url"]


def _dashboard(url: str) -> str:
    """The page behind the login link, following its redirect with the cookie it sets."""
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url, timeout=10) as answer:
        return answer.read().decode("utf-8")
