"""`feedlens service install|status|uninstall` on a root directory of the test's own: the unit
passes `systemd-analyze verify` with no warning, install adds exactly the unit (enabled) and the
user, uninstall takes exactly those away again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from feedlens import systemd
from feedlens.cli import main

BASE = {"passwd": "root:x:0:0:root:/root:/bin/bash\n", "group": "root:x:0:\n",
        "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}
ACCOUNTS = tuple(BASE)


def need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing (dev.py installs Debian's systemd/passwd packages)")
        pytest.skip(f"{tool} is not installed")
    return found


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with its text (a symlink as its target), but useradd's backups."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            files[rel] = "-> " + os.readlink(path)
        elif path.is_file() and not rel.endswith("-"):
            files[rel] = path.read_text(encoding="utf-8")
    return files


@pytest.fixture
def root(tmp_path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("useradd --prefix needs root")
    for tool in ("systemctl", "useradd", "userdel", "groupdel"):
        need(tool)
    (tmp_path / "etc" / "systemd" / "system").mkdir(parents=True)
    for name, text in BASE.items():
        (tmp_path / "etc" / name).write_text(text)
    return tmp_path


def test_install_writes_a_verified_unit_and_the_user_and_uninstall_removes_exactly_them(root, capsys):
    analyze = need("systemd-analyze")
    before = snapshot(root)
    assert main(["service", "install", "--root", str(root), "--household", "192.168.1.10",
                 "--executable", shutil.which("true")]) == 0
    after = snapshot(root)
    unit = root / "etc/systemd/system/feedlens.service"
    wants = "etc/systemd/system/multi-user.target.wants/feedlens.service"
    assert set(after) - set(before) == {str(unit.relative_to(root)), wants}
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= {f"etc/{n}" for n in ACCOUNTS} and systemd.user_exists(root)
    assert "feedlens:x:" in after["etc/passwd"] and "feedlens:" in after["etc/group"]

    text = unit.read_text()
    for line in ("User=feedlens", "ProtectSystem=strict", "ReadWritePaths=/var/lib/feedlens",
                 "Restart=on-failure", "NoNewPrivileges=yes", "--household 192.168.1.10"):
        assert line in text
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (verified.returncode, verified.stderr) == (0, "")
    # the check is real: a unit with a wrong value is reported
    broken = root / "broken" / "feedlens.service"
    broken.parent.mkdir()
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystem=sometimes"))
    assert "protect system value" in subprocess.run([analyze, "verify", str(broken)], capture_output=True,
                                             text=True, timeout=60).stderr
    broken.unlink()
    broken.parent.rmdir()

    capsys.readouterr()
    assert main(["service", "status", "--root", str(root)]) == 0
    assert "enabled: yes" in capsys.readouterr().out
    assert main(["service", "uninstall", "--root", str(root)]) == 0
    gone = snapshot(root)
    assert gone == before
    assert main(["service", "status", "--root", str(root)]) == 1
