"""Every problem of a pack, in one list: the header, the hash of every file, files that are not
listed, the signature (when a public key is given), the minimum feedlens version, every rule
file's validity and every fixture case, run on this feedlens."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import archive, check, hashes, signing
from .header import HEADER_FILE, SIGNATURE_FILE, Header, load_header, too_new


@dataclass
class Verdict:
    root: Path
    header: Header | None = None
    problems: list[str] = field(default_factory=list)
    result: check.CheckResult | None = None  # the rules check and the fixture cases
    signed: bool = False  # a signature that verified with the given key

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_dir(root: Path, public: Ed25519PublicKey | None = None) -> Verdict:
    root = Path(root)
    verdict = Verdict(root)
    verdict.header, verdict.problems = load_header(root)
    header = verdict.header
    if header is not None:
        verdict.problems.extend(hashes.compare(root, header.files, _placer(header)))
        late = too_new(header)
        if late:
            verdict.problems.append(late)
    if public is not None:
        problem = _signature_problem(root, public)
        verdict.signed = problem is None
        if problem:
            verdict.problems.append(problem)
    verdict.result = check.check([root])
    verdict.problems.extend(verdict.result.failures)
    return verdict


def verify_archive(path: Path, public: Ed25519PublicKey | None = None,
                   max_bytes: int = archive.MAX_BYTES) -> Verdict:
    """The same for a .tar.gz, unpacked safely into a temporary directory (removed after);
    messages name the archive instead of that directory."""
    path = Path(path)
    scratch = Path(tempfile.mkdtemp(prefix="feedlens-pack-"))
    try:
        try:
            archive.extract(path, scratch / "pack", max_bytes)
        except archive.ArchiveError as exc:
            return Verdict(path, problems=exc.problems)
        verdict = verify_dir(scratch / "pack", public)
        inside = str(scratch / "pack")
        verdict.problems = [p.replace(inside, str(path)) for p in verdict.problems]
        verdict.root = path
        return verdict
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _placer(header: Header):
    def where(name: str, message: str) -> str:
        return header.source.at(("files", name), message)
    return where


def _signature_problem(root: Path, public: Ed25519PublicKey) -> str | None:
    sig, head = root / SIGNATURE_FILE, root / HEADER_FILE
    if not sig.is_file():
        return f"{sig}:1: not signed (no {SIGNATURE_FILE}), and a public key was given"
    if not head.is_file():
        return None  # already said: no header
    problem = signing.check(public, head.read_bytes(), sig.read_text(encoding="utf-8", errors="replace"))
    return f"{sig}:1: {problem}" if problem else None
