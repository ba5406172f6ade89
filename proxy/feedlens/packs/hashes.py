"""The files of a pack directory and their SHA-256, compared with the header's list."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .header import HEADER_FILE, SIGNATURE_FILE

# Data only: a pack holds rule files and fixture bodies, never code.
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".html", ".htm", ".txt", ".md")
# What the Python package around the bundled rules adds (feedlens.rules is a package so that
# importlib.resources finds it): not part of the pack, never read as rules.
PACKAGE_FILES = ("__init__.py",)
PACKAGE_DIRS = ("__pycache__",)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def pack_files(root: Path) -> list[str]:
    """Every file under `root` as a relative POSIX path, sorted, except the header, the
    signature and the Python package's own files; symbolic links are listed too (a pack has
    none: `verify` says so)."""
    root = Path(root)
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part in PACKAGE_DIRS for part in relative.parts) or path.is_dir() and not path.is_symlink():
            continue
        name = relative.as_posix()
        if name in (HEADER_FILE, SIGNATURE_FILE) or name in PACKAGE_FILES:
            continue
        found.append(name)
    return sorted(found)


def hash_files(root: Path) -> dict[str, str]:
    """{relative path: sha256 hex} of pack_files(root)."""
    return {name: sha256_file(Path(root) / name) for name in pack_files(root)
            if (Path(root) / name).is_file() and not (Path(root) / name).is_symlink()}


def compare(root: Path, listed: dict[str, str], where) -> list[str]:
    """Problems of `root` against the header's `files`: a hash that differs, a listed file
    that is missing, a file that is not listed, a link, a file that is not data.
    `where(name, message)` places a message on the header's line for `name`."""
    root = Path(root)
    problems = []
    present = pack_files(root)
    for name in present:
        path = root / name
        if path.is_symlink() or not path.is_file():
            problems.append(where(name, f"{name}: not a regular file (links and devices are refused)"))
        elif not name.lower().endswith(DATA_SUFFIXES):
            problems.append(where(name, f"{name}: not a data file (a pack holds only "
                                  f"{', '.join(DATA_SUFFIXES)})"))
        elif name not in listed:
            problems.append(where(name, f"{name}: not listed in {HEADER_FILE}'s files"))
        elif sha256_file(path) != listed[name]:
            problems.append(where(name, f"{name}: SHA-256 differs from {HEADER_FILE}"))
    for name in sorted(set(listed) - set(present)):
        problems.append(where(name, f"{name}: listed in {HEADER_FILE} but missing"))
    return problems
