#!/usr/bin/env python3
"""Set up and run feedlens, or its test suite, with nothing but Python >= 3.11.

    python3 dev.py run [feedlens run options]   # venv + install + `feedlens run`
    python3 dev.py test [pytest options]        # venv + test and clients extras + chromium + node tests + pytest

The virtual environment lives in .venv beside this file. `test` installs Debian's chromium for
the browser tests when it can (root on Debian); under CI=true the browser tests must run.
`test` runs the extension's JavaScript tests (`node --test tests/js/`) first and stops when they
fail; without node they are skipped with a note, except under CI=true. It installs Debian's
postgresql the same way for the study server's tests (tests/study), which start a throwaway
cluster of their own; under CI=true they must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def sh(*args, **kwargs) -> None:
    print("+", " ".join(map(str, args)), flush=True)
    subprocess.run(list(map(str, args)), check=True, **kwargs)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"feedlens needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    inputs = max((ROOT / "pyproject.toml").stat().st_mtime, (ROOT / "dev.py").stat().st_mtime)
    if stamp.exists() and stamp.stat().st_mtime >= inputs:
        return
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    sh(BIN / "python", "-m", "pip", "install", "--quiet", "-e", target, cwd=ROOT)
    stamp.touch()


def _can_apt() -> bool:
    return bool(shutil.which("apt-get")) and hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_chromium() -> None:
    # fonts-wqy-zenhei: without a CJK font the zh-CN screenshots show empty boxes.
    have_fonts = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").exists()
    if (shutil.which("chromium") or Path("/usr/bin/chromium").exists()) and have_fonts:
        return
    if _can_apt():
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
           "fonts-wqy-zenhei", env=env)
    elif IN_CI:
        sys.exit("CI=true but chromium is missing and cannot be installed (need root and apt-get)")
    else:
        print("note: Debian's chromium is not installed; the browser tests will be skipped", flush=True)


def ensure_postgresql() -> None:
    """Debian's server binaries (initdb, pg_ctl) for the study server's throwaway cluster."""
    if list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return
    if _can_apt():
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql", env=env)
    elif IN_CI:
        sys.exit("CI=true but postgresql is missing and cannot be installed (need root and apt-get)")
    else:
        print("note: Debian's postgresql is not installed; the study server tests will be skipped",
              flush=True)


def node_tests() -> int:
    """The extension's pure modules, tested in node (tests/js). 0 when they pass or are skipped."""
    node = shutil.which("node")
    if not node and _can_apt():
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "nodejs", env=env)
        node = shutil.which("node")
    if not node:
        if IN_CI:
            sys.exit("CI=true but node is missing: the extension's tests (tests/js) need it")
        print("note: node is not installed; the extension's JavaScript tests (tests/js) are skipped",
              flush=True)
        return 0
    print("+ node --test tests/js/", flush=True)
    return subprocess.call([node, "--test", "tests/js/"], cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        ensure_venv("")
        return subprocess.call([str(BIN / "feedlens"), "run", *rest])
    # clients: the real third-party parsers of tests/clients (pinned; about 30 s more on a
    # fresh install) run in every test run and in CI, never skipped for being absent
    ensure_venv("test,clients")
    ensure_chromium()
    ensure_postgresql()
    failed = node_tests()
    if failed:
        print("node tests failed (tests/js): pytest not run", flush=True)
        return failed
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
