"""How every `feedlens` command reports bad input: one line, `error: what (hint)`, exit 2.

A command raises CliError; `cli.main` prints it. Tracebacks are for bugs, not for a missing
file or a typo in a profile name, so the common OS errors on input files become CliErrors too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import paths
from .profiles import MARK_ONLY

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """Bad input the user can fix; `hint` says how."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint

    def line(self) -> str:
        text = f"error: {self.message}" + (f" ({self.hint})" if self.hint else "")
        return " ".join(text.split())  # one line, whatever the message carried


def report(exc: CliError) -> int:
    print(exc.line(), file=sys.stderr)
    return EXIT_BAD_INPUT


def from_os_error(exc: OSError, what: str = "file") -> CliError:
    name = exc.filename if exc.filename is not None else "?"
    if isinstance(exc, FileNotFoundError):
        return CliError(f"no such {what}: {name}", "check the path")
    if isinstance(exc, IsADirectoryError):
        return CliError(f"{name} is a directory, not a {what}", "give a file")
    if isinstance(exc, PermissionError):
        return CliError(f"cannot read {name}: permission denied", "check the file's permissions")
    return CliError(f"cannot read {name}: {exc.strerror or exc}")


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise from_os_error(exc, what) from None


def profile_names(rules: Path | None) -> list[str]:
    names = {p.stem for p in paths.layered_files(rules, "profiles")} | {MARK_ONLY.name}
    return sorted(names)


def profile_path(name: str, rules: Path | None) -> Path | None:
    """The file of a profile name or path; None for the built-in mark-only profile; CliError
    listing the available names when there is no such profile."""
    path = paths.resolve_profile(name, rules)
    if path.is_file():
        return path
    if path.suffix in (".yaml", ".yml") and path.name != f"{name}.yaml":
        raise CliError(f"no such profile file: {path}", "check the path")
    if name == MARK_ONLY.name:
        return None
    raise CliError(f"unknown profile {name!r}", f"available: {', '.join(profile_names(rules))}")
