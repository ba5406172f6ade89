"""Making a pack: copy a rules directory's data files, write pack.yaml with their hashes, sign
it. Also rewrites the header of a directory in place (the bundled rules: `--header-only`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .. import __version__
from ..yamlsrc import YamlError, load
from . import signing
from .hashes import DATA_SUFFIXES, hash_files, pack_files
from .header import HEADER_FILE, SIGNATURE_FILE, dump, today


class BuildError(ValueError):
    """A pack that cannot be built as asked: what is wrong, and a hint what to give."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def existing_fields(root: Path) -> dict:
    """The fields of `root`'s pack.yaml as written (empty when there is none)."""
    path = Path(root) / HEADER_FILE
    if not path.is_file():
        return {}
    try:
        data = load(path).data
    except YamlError as exc:
        raise BuildError(f"{exc} (fix or remove it)") from None
    return data if isinstance(data, dict) else {}


def header_fields(root: Path, given: dict, *, new_release: bool) -> dict:
    """The header of a pack built from `root`: options given, else its current pack.yaml,
    else defaults (a new release is dated today)."""
    fields = {**existing_fields(root), **{k: v for k, v in given.items() if v not in (None, [])}}
    if not fields.get("name"):
        raise BuildError("the pack has no name", "give --name")
    if not fields.get("licence"):
        raise BuildError("the pack has no licence", "give --licence, e.g. GPL-3.0-or-later")
    fields.setdefault("title", fields["name"])
    fields.setdefault("version", today().replace("-", "."))
    if new_release or "released" not in fields:
        fields["released"] = today()
    fields.setdefault("expires", "30 days")
    fields.setdefault("min_feedlens", __version__)
    fields.setdefault("update_urls", [])
    return {**fields, "version": str(fields["version"]), "min_feedlens": str(fields["min_feedlens"])}


def write_header(root: Path, fields: dict) -> Path:
    """pack.yaml of `root` with `fields` and the current hash of every file."""
    path = Path(root) / HEADER_FILE
    path.write_text(dump({**fields, "files": hash_files(root)}), encoding="utf-8")
    return path


def copy_data(src: Path, dest: Path) -> list[str]:
    """Copy the pack files of `src` into the new directory `dest`; refuses links and files
    that are not data (a pack holds no code)."""
    names = pack_files(src)
    bad = [n for n in names if (Path(src) / n).is_symlink() or not n.lower().endswith(DATA_SUFFIXES)]
    if bad:
        raise BuildError(f"{src}: not data files: {', '.join(bad[:5])}"
                         + (f" and {len(bad) - 5} more" if len(bad) > 5 else ""),
                         "a pack holds only rule files and fixture bodies; move them out")
    dest.mkdir(parents=True)
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(src) / name, dest / name)
    return names


def build_dir(src: Path, dest: Path, key, given: dict) -> dict:
    """A signed pack in the new directory `dest` from the rules directory `src`; returns its
    header fields."""
    fields = header_fields(src, given, new_release=True)
    copy_data(src, dest)
    header = write_header(dest, fields)
    (dest / SIGNATURE_FILE).write_text(signing.sign(key, header.read_bytes()) + "\n", encoding="utf-8")
    return fields
