"""A pack as one .tar.gz: building it, and extracting a downloaded one safely.

Extraction reads every member's header before it writes anything and refuses the whole archive
when one member is unsafe: an absolute path, a `..` part, a link, a device or anything but a
regular file or directory, a file that is not data, or a total size over the limit.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path, PurePosixPath

from .hashes import DATA_SUFFIXES, pack_files
from .header import HEADER_FILE, SIGNATURE_FILE

MAX_BYTES = 50 * 1024 * 1024  # unpacked size of one pack (the bundled one is under 3 MB)
MAX_MEMBERS = 10_000


class ArchiveError(ValueError):
    """An archive refused; `problems` lists every reason."""

    def __init__(self, path, problems: list[str]):
        super().__init__(f"{path}: " + "; ".join(problems))
        self.problems = [f"{path}: {p}" for p in problems]


def build(root: Path, out: Path) -> None:
    """Write the pack directory `root` (its header, signature and files) to `out` (.tar.gz);
    the same content gives the same bytes (no times, owners or modes of the build machine)."""
    root = Path(root)
    names = [n for n in (HEADER_FILE, SIGNATURE_FILE) if (root / n).is_file()] + pack_files(root)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with (open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
          tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar):
        for name in names:
            data = (root / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))


def extract(archive: Path, dest: Path, max_bytes: int = MAX_BYTES) -> list[str]:
    """Unpack `archive` into the new directory `dest`; returns the files written. Raises
    ArchiveError with every reason when it is unsafe (nothing is written then)."""
    archive, dest = Path(archive), Path(dest)
    if archive.stat().st_size > max_bytes:
        raise ArchiveError(archive, [f"{archive.stat().st_size} bytes, over the limit of {max_bytes} bytes"])
    try:
        tar = tarfile.open(archive, mode="r:gz")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(archive, [f"not a readable .tar.gz ({exc})"]) from None
    with tar:
        try:
            members = _checked_members(tar, archive, max_bytes)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveError(archive, [f"not a readable .tar.gz ({exc})"]) from None
        dest.mkdir(parents=True, exist_ok=False)
        try:
            return [_write(tar, member, dest) for member in members]
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveError(archive, [f"cannot unpack ({exc})"]) from None


def _checked_members(tar: tarfile.TarFile, archive: Path, max_bytes: int) -> list[tarfile.TarInfo]:
    problems, members, total, seen = [], [], 0, set()
    for member in tar:  # streams: a huge archive is refused before it is all read
        problem = member_problem(member)
        key = member.name.removeprefix("./").rstrip("/")
        if not problem and key in seen:
            problem = "listed twice"
        seen.add(key)
        if problem:
            problems.append(f"{member.name!r}: {problem}")
        total += member.size
        members.append(member)
        if total > max_bytes:
            problems.append(f"unpacks to more than the limit of {max_bytes} bytes")
            break
        if len(members) > MAX_MEMBERS:
            problems.append(f"more than {MAX_MEMBERS} entries")
            break
    if problems:
        raise ArchiveError(archive, problems)
    return [m for m in members if m.isfile()]


def member_problem(member: tarfile.TarInfo) -> str | None:
    name = member.name
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    parts = PurePosixPath(name).parts
    if ".." in parts:
        return "path leaves the pack (`..`)"
    if member.issym() or member.islnk():
        return f"a link (to {member.linkname!r})"
    if member.isdir():
        return None
    if not member.isfile():
        return "not a regular file (device, fifo or other special file)"
    if name.removeprefix("./") not in (HEADER_FILE, SIGNATURE_FILE) and not name.lower().endswith(DATA_SUFFIXES):
        return "not a data file"
    return None


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> str:
    name = PurePosixPath(member.name.removeprefix("./")).as_posix()
    target = dest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with source, os.fdopen(os.open(target, flags, 0o644), "wb") as out:
        while block := source.read(1 << 16):
            out.write(block)
    return name
