"""Writing files so that a crash or a concurrent reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from . import private


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Readers see the old file or the new one, never half of one: temp file + os.replace.

    `mode` defaults to the existing file's; for a new file 0600 in a private directory (the
    data dir, feedlens.private), else 0644; secrets pass 0o600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode(path.parent)
    # The .tmp suffix keeps the half-written file out of `*.yaml` globs (hot reload).
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


def _new_file_mode(directory: Path) -> int:
    return private.FILE_MODE if private.is_private_dir(directory) else 0o644


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
