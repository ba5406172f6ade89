#!/usr/bin/env python3
"""Set up and run feedlens, or its test suite, with nothing but Python >= 3.11.

    python3 dev.py run [feedlens run options]   # venv + install + `feedlens run`
    python3 dev.py test [pytest options]        # venv + test extras + Debian's packages + web-ext + node tests + pytest

The virtual environment lives in .venv beside this file. `test` installs what the tests need
from Debian when it can (root on Debian, one apt-get run; DEBIAN_NEEDS below): chromium and
firefox-esr for the browser tests, systemd for `systemd-analyze verify`, postgresql for the
study server, iproute2 for the household test's network namespace, node and npm; then web-ext
for the extension's lint with `npm ci` in tests/firefox. Under CI=true all of these must run,
never skip. `test` runs the extension's JavaScript tests (`node --test tests/js/`) first and
stops when they fail.
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


# What the test suite needs from Debian, each with how to tell it is there and what it is for.
# Missing ones are installed in one apt-get run when we can (root with apt-get); under CI=true a
# missing one that cannot be installed stops the run, elsewhere its tests skip with a note.
DEBIAN_NEEDS = [
    # fonts-wqy-zenhei: without a CJK font the zh-CN screenshots show empty boxes
    (("chromium", "fonts-wqy-zenhei"),
     lambda: (shutil.which("chromium") or Path("/usr/bin/chromium").exists())
     and Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").exists(),
     "the browser tests"),
    (("firefox-esr",), lambda: Path("/usr/bin/firefox-esr").exists(),
     "the Firefox tests (tests/browser/test_firefox.py, over WebDriver BiDi)"),
    (("systemd",), lambda: shutil.which("systemd-analyze"),
     "the service unit test (systemd-analyze verify; it runs where systemd does not)"),
    (("postgresql",), lambda: list(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
     "the study server's tests (a throwaway cluster)"),
    (("iproute2",), lambda: shutil.which("ip"),
     "the household browser test (a network namespace of its own: `ip netns`)"),
    (("nodejs", "npm"), lambda: shutil.which("node") and shutil.which("npm"),
     "the extension's JavaScript tests and web-ext"),
]


def _can_apt() -> bool:
    return bool(shutil.which("apt-get")) and hasattr(os, "geteuid") and os.geteuid() == 0


def ensure_debian_packages() -> None:
    missing = [(packages, purpose) for packages, present, purpose in DEBIAN_NEEDS if not present()]
    if not missing:
        return
    if _can_apt():
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends",
           *[name for packages, _ in missing for name in packages], env=env)
        return
    for packages, purpose in missing:
        if IN_CI:
            sys.exit(f"CI=true but {' '.join(packages)} is missing and cannot be installed"
                     f" (need root and apt-get): {purpose}")
        print(f"note: Debian's {' '.join(packages)} is not installed; {purpose} will be skipped", flush=True)


def ensure_web_ext() -> None:
    """web-ext (its lint) from tests/firefox/package-lock.json, for tests/test_extension_stores.py."""
    tools = ROOT / "tests" / "firefox"
    stamp = tools / "node_modules" / ".package-lock.json"  # npm writes it on every install
    if stamp.exists() and stamp.stat().st_mtime >= (tools / "package-lock.json").stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm:
        sh(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=tools)
    elif IN_CI:
        sys.exit("CI=true but npm is missing: web-ext (tests/firefox) needs it")
    else:
        print("note: npm is not installed; `web-ext lint` of the extension is skipped", flush=True)


def node_tests() -> int:
    """The extension's pure modules, tested in node (tests/js). 0 when they pass or are skipped."""
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
    ensure_debian_packages()
    ensure_web_ext()
    failed = node_tests()
    if failed:
        print("node tests failed (tests/js): pytest not run", flush=True)
        return failed
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *parallel(rest), *rest], cwd=ROOT)


def parallel(rest: list[str]) -> list[str]:
    """pytest-xdist's workers, one per core (at most 4), unless the options choose: a file's
    tests stay in one worker, so its module fixtures (a browser, a proxy) start once."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in rest):
        return []
    return ["--numprocesses", str(min(4, max(2, os.cpu_count() or 2))), "--dist", "loadfile"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
