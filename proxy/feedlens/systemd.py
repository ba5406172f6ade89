"""`feedlens service install|status|uninstall`: feedlens as a system service on Debian and
Raspberry Pi OS, like AdGuard Home's one-command install (docs/household.md).

`install` creates a dedicated system user and writes a hardened systemd unit (the user's own
state directory /var/lib/feedlens is the only writable path; ProtectSystem=strict; restart on
failure), then enables and starts it. `uninstall` stops and disables it and removes exactly the
unit and the user; the data directory (the CA, the parent PIN's hash, the item log) stays, as
a package's purge would be the user's decision. `--root DIR` works on another root (an image
being prepared, a test): the files under DIR, the user in DIR/etc (useradd --prefix), the
enablement with `systemctl --root`, nothing started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .clierror import CliError

UNIT = "feedlens.service"
USER = "feedlens"
STATE = "/var/lib/feedlens"
UNIT_DIR = "etc/systemd/system"
WANTS = "multi-user.target.wants"


def unit_text(executable: str, args: list[str], user: str = USER) -> str:
    command = " ".join([executable, "run", "--data-dir", STATE, *args])
    return f"""\
# Written by `feedlens service install`; removed by `feedlens service uninstall`.
[Unit]
Description=feedlens content-preference proxy for the household
Documentation=https://github.com/feedlens/feedlens/blob/main/docs/household.md
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={user}
Group={user}
ExecStart={command}
Environment=HOME={STATE} XDG_CONFIG_HOME={STATE}/config
# /var/lib/feedlens, made by systemd for this user; the only path it may write
StateDirectory=feedlens
StateDirectoryMode=0700
ReadWritePaths={STATE}
UMask=0077
Restart=on-failure
RestartSec=5
NoNewPrivileges=yes
ProtectSystem=strict
# read-only, not hidden: a venv in a home directory still runs
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=no
CapabilityBoundingSet=
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
"""


def add_service_parser(sub) -> None:
    service = sub.add_parser("service", help="run feedlens as a system service (systemd)")
    actions = service.add_subparsers(dest="service_command", required=True)
    install = actions.add_parser("install", help="create the feedlens user, write, enable and start the unit")
    install.add_argument("--household", metavar="LAN_ADDRESS[:PORT]",
                         help="household mode (feedlens run --household): the LAN dashboard's address")
    install.add_argument("--listen-port", type=int, default=8080)
    install.add_argument("--executable", help="the feedlens program (default: this one)")
    for action in (install, actions.add_parser("status", help="whether the unit and the user are there"),
                   actions.add_parser("uninstall", help="stop and remove the unit and the user "
                                                        "(the data in /var/lib/feedlens stays)")):
        action.add_argument("--root", default="/", help="operate on this root directory (default /)")
        action.set_defaults(func=cmd_service)


def cmd_service(args) -> int:
    root = Path(args.root)
    return {"install": install, "status": status, "uninstall": uninstall}[args.service_command](root, args)


def unit_path(root: Path) -> Path:
    return root / UNIT_DIR / UNIT


def _live(root: Path) -> bool:
    return root.resolve() == Path("/")


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise CliError(f"{' '.join(command)} failed: {(done.stderr or done.stdout).strip()}",
                       "run it as root (sudo) on a system with systemd")


def _prefix(root: Path) -> list[str]:
    return [] if _live(root) else ["--prefix", str(root)]


def user_exists(root: Path, user: str = USER) -> bool:
    try:
        lines = (root / "etc" / "passwd").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.split(":", 1)[0] == user for line in lines)


def _group_exists(root: Path, user: str = USER) -> bool:
    try:
        lines = (root / "etc" / "group").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.split(":", 1)[0] == user for line in lines)


def _systemctl(root: Path, *words: str) -> None:
    if shutil.which("systemctl") is None:
        raise CliError("systemctl is not installed", "install systemd, or write the unit by hand")
    _run(["systemctl", *([] if _live(root) else [f"--root={root}"]), *words])


def install(root: Path, args) -> int:
    executable = args.executable or shutil.which("feedlens") or sys.argv[0]
    executable = str(Path(executable).resolve())
    if executable.startswith(("/root/", "/home/")):
        print(f"note: {executable} is in a home directory; the {USER} user must be able to read it "
              "(docs/household.md: install into /opt or with PIPX_HOME=/opt/pipx)", file=sys.stderr)
    extra = ["--listen-host", "0.0.0.0", "--listen-port", str(args.listen_port)]
    if args.household:
        extra += ["--household", args.household]
    if not user_exists(root):
        _run(["useradd", *_prefix(root), "--system", "--user-group", "--home-dir", STATE,
              "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
    path = unit_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(unit_text(executable, extra), encoding="utf-8")
    os.chmod(path, 0o644)
    if _live(root):
        _systemctl(root, "daemon-reload")
        _systemctl(root, "enable", "--now", UNIT)
    else:
        _systemctl(root, "enable", UNIT)
    print(f"installed {path} (user {USER}, data {STATE})")
    return 0


def status(root: Path, args) -> int:
    path = unit_path(root)
    print(f"unit: {path} {'present' if path.is_file() else 'missing'}")
    print(f"user: {USER} {'present' if user_exists(root) else 'missing'}")
    enabled = (root / UNIT_DIR / WANTS / UNIT).is_symlink()
    print(f"enabled: {'yes' if enabled else 'no'}")
    if _live(root) and shutil.which("systemctl"):
        done = subprocess.run(["systemctl", "is-active", UNIT], capture_output=True, text=True)
        print(f"active: {done.stdout.strip() or 'unknown'}")
    return 0 if path.is_file() and user_exists(root) else 1


def uninstall(root: Path, args) -> int:
    path = unit_path(root)
    if path.is_file():
        _systemctl(root, "disable", *(["--now"] if _live(root) else []), UNIT)
        path.unlink()
        if _live(root):
            _systemctl(root, "daemon-reload")
    if user_exists(root):
        _run(["userdel", *_prefix(root), USER])
    if _group_exists(root):  # userdel leaves the user's group where USERGROUPS_ENAB is off
        _run(["groupdel", *_prefix(root), USER])
    print(f"removed {path} and the user {USER}; the data in {STATE} stays")
    return 0
