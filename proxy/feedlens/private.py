"""The data dir is the user's alone: the item log, the parent PIN's hash, the audit log, the
token and the CA key are nobody else's business on a shared machine.

The data dir is 0700 and every file in it 0600, every directory 0700. New files get these modes
as they are made (the store creates its SQLite file 0600 before SQLite opens it, and SQLite
gives the -wal and -shm files the database's mode; write_atomic makes a new file in a private
directory private); fix_modes() puts right what an older feedlens (0755/0644) or another
program (mitmproxy's certificates) left, at every start. Symlinks are not followed, and what
another user owns is left alone.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def ensure_dir(path: Path) -> Path:
    """`path` as a private directory (its parents, when made, as the umask says)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def ensure_file(path: Path) -> Path:
    """`path` exists and is private; created empty (0600 from the start) when missing."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _chmod(path, FILE_MODE)
    return path


def is_private_dir(path: Path) -> bool:
    try:
        return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    except OSError:
        return False


def fix_modes(root: Path) -> int:
    """Make `root` and everything under it private; the number of entries changed."""
    if not root.is_dir() or root.is_symlink():
        return 0
    changed = int(_chmod(root, DIR_MODE))
    for folder, dirs, files in os.walk(root):  # os.walk does not enter symlinked dirs
        for name in dirs:
            changed += _chmod(Path(folder, name), DIR_MODE)
        for name in files:
            changed += _chmod(Path(folder, name), FILE_MODE)
    return changed


def _chmod(path: Path, mode: int) -> bool:
    """chmod unless `path` is a symlink, another user's, or already `mode`; True if changed."""
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) == mode:
            return False
        os.chmod(path, mode)
        return True
    except OSError:  # gone meanwhile, or a filesystem without modes: nothing to protect there
        return False
