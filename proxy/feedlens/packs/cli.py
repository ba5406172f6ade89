"""Command line: feedlens rules keygen|pack|verify|test|new-platform, and (update_cli)
subscribe|update|status|rollback|unsubscribe (docs/rule-packs.md)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .. import paths
from ..clierror import CliError
from . import archive, build, scaffold, signing
from .header import HEADER_FILE
from .update_cli import add_update_parsers
from .verify import Verdict, verify_archive, verify_dir

KEY_FILE, PUBLIC_FILE = "pack.key", "pack.pub"


def add_pack_parsers(rules_sub) -> None:
    """Register the pack subcommands under `feedlens rules`."""
    keygen = rules_sub.add_parser("keygen", help="make an Ed25519 key pair to sign packs")
    keygen.add_argument("--out", required=True, metavar="DIR", help=f"writes DIR/{KEY_FILE} (0600) and DIR/{PUBLIC_FILE}")
    keygen.set_defaults(func=cmd_keygen)

    pack = rules_sub.add_parser("pack", help="build a signed pack from a rules directory")
    pack.add_argument("src", help="a rules directory (platforms/, profiles/, … and maybe pack.yaml)")
    pack.add_argument("--key", help=f"private key file (from `rules keygen`: {KEY_FILE})")
    pack.add_argument("--out", help="a new directory, or FILE.tar.gz")
    pack.add_argument("--header-only", action="store_true",
                      help=f"rewrite SRC/{HEADER_FILE}'s file hashes in place, unsigned (the bundled rules)")
    for option in ("name", "title", "version", "expires", "licence", "homepage", "min-feedlens"):
        pack.add_argument(f"--{option}")
    pack.add_argument("--update-url", action="append", default=[], metavar="URL",
                      help="where updates are published (repeatable: mirrors, tried in order)")
    pack.set_defaults(func=cmd_pack)

    verify = rules_sub.add_parser("verify", help="list every problem of a pack (exit 1 on any)")
    verify.add_argument("pack", help="a pack directory or .tar.gz")
    verify.add_argument("--pubkey", metavar="KEY", help="public key file or `ed25519:…` line; "
                        "the signature must verify with it")
    verify.set_defaults(func=cmd_verify)

    test = rules_sub.add_parser("test", help="run a pack's fixture cases, with a report per case")
    test.add_argument("pack", nargs="?", help="a pack directory or .tar.gz (default: the bundled rules)")
    test.set_defaults(func=cmd_test)

    new = rules_sub.add_parser("new-platform", help="write an adapter skeleton with a fixture into your pack")
    new.add_argument("name", help="the platform's name (lowercase letters, digits, _)")
    new.add_argument("--pack", metavar="DIR", help=f"your pack directory (default {scaffold.default_pack()})")
    new.set_defaults(func=cmd_new_platform)
    add_update_parsers(rules_sub)


def cmd_keygen(args) -> int:
    out = Path(args.out)
    private, public = out / KEY_FILE, out / PUBLIC_FILE
    if private.exists() or public.exists():
        raise CliError(f"{out} already holds a key", "give another --out; a key is never overwritten")
    pem, line = signing.generate()
    out.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(pem)
    public.write_text(line + "\n", encoding="utf-8")
    print(line)
    print(f"wrote {private} (private: keep it secret) and {public}", file=sys.stderr)
    return 0


def cmd_pack(args) -> int:
    src = _existing_dir(args.src)
    given = {"name": args.name, "title": args.title, "version": args.version, "expires": args.expires,
             "licence": args.licence, "homepage": args.homepage, "min_feedlens": args.min_feedlens,
             "update_urls": args.update_url}
    try:
        if args.header_only:
            path = build.write_header(src, build.header_fields(src, given, new_release=False))
            print(f"wrote {path}")
            return 0
        if not args.key or not args.out:
            raise CliError("give --key and --out", "or --header-only to rewrite SRC's header in place")
        return _pack(src, Path(args.out), _private_key(args.key), given)
    except build.BuildError as exc:
        raise CliError(exc.message, exc.hint) from None


def _pack(src: Path, out: Path, key, given: dict) -> int:
    tarball = out.name.endswith(".tar.gz")
    if out.exists():
        raise CliError(f"{out} already exists", "give a new --out")
    with tempfile.TemporaryDirectory(prefix="feedlens-pack-") as scratch:
        staged = Path(scratch) / "pack"
        fields = build.build_dir(src, staged, key, given)
        verdict = verify_dir(staged, key.public_key())
        if not verdict.ok:
            for problem in verdict.problems:
                print(problem.replace(str(staged), str(src)))
            print(f"not packed: {len(verdict.problems)} problem(s) in {src}", file=sys.stderr)
            return 1
        if tarball:
            archive.build(staged, out)
        else:
            shutil.copytree(staged, out)
    files = len(build.hash_files(out)) if not tarball else len(verdict.header.files)
    print(f"wrote {out}: {fields['name']} {fields['version']}, {files} files, "
          f"{len(verdict.result.cases)} fixture cases pass, signed")
    return 0


def cmd_verify(args) -> int:
    public = _public_key(args.pubkey) if args.pubkey else None
    with _pack_path(args.pack) as path:
        verdict = _verify(path, public)
    for problem in verdict.problems:
        print(problem)
    if not verdict.ok:
        print(f"FAILED: {len(verdict.problems)} problem(s) in {args.pack}", file=sys.stderr)
        return 1
    header = verdict.header
    signature = "signature verified" if verdict.signed else "signature not checked (no --pubkey)"
    print(f"ok: {header.name} {header.version}, {len(header.files)} files, "
          f"{len(verdict.result.cases)} fixture cases pass, {signature}")
    return 0


def cmd_test(args) -> int:
    given = args.pack or str(paths.bundled_rules_dir())
    with _pack_path(given) as path:
        verdict = _verify(path, None)
    result = verdict.result
    if result is None:  # the archive could not be unpacked
        for problem in verdict.problems:
            print(problem)
        return 1
    failed = [c for c in result.cases if c.failures]
    if not result.cases:
        print(f"no fixture cases in {given} (platforms/NAME.fixtures/*.yaml)", file=sys.stderr)
    for case in result.cases:
        label = f"{case.case.platform}/{case.case.name}"
        print(f"{'FAIL' if case.failures else 'ok  '} {label} ({case.items} items)")
        for failure in case.failures:
            print(f"       {failure}")
    in_cases = {f for c in result.cases for f in c.failures}
    others = [f for f in result.failures if f not in in_cases]
    for problem in others:
        print(f"rule problem: {problem}")
    print(f"{len(result.cases)} cases: {len(result.cases) - len(failed)} passed, {len(failed)} failed; "
          f"{len(others)} other problems", file=sys.stderr)
    return 1 if failed or others or not result.cases else 0


def cmd_new_platform(args) -> int:
    pack = Path(args.pack) if args.pack else scaffold.default_pack()
    try:
        written = scaffold.new_platform(args.name, pack)
    except (scaffold.ScaffoldError, build.BuildError) as exc:
        raise CliError(exc.message, exc.hint) from None
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit them, then `feedlens rules test {pack}`", file=sys.stderr)
    return 0


def _verify(path: Path, public) -> Verdict:
    return verify_archive(path, public) if path.is_file() else verify_dir(path, public)


@contextlib.contextmanager
def _pack_path(given: str):
    path = Path(given)
    if not path.exists():
        raise CliError(f"no such pack: {path}", "give a pack directory or .tar.gz")
    if path.is_file() and not path.name.endswith((".tar.gz", ".tgz")):
        raise CliError(f"{path} is neither a directory nor a .tar.gz", "give a pack directory or .tar.gz")
    yield path


def _existing_dir(given: str) -> Path:
    path = Path(given)
    if not path.is_dir():
        raise CliError(f"no such directory: {path}", "give a rules directory")
    return path


def _private_key(given: str):
    try:
        return signing.load_private(Path(given))
    except signing.SigningError as exc:
        raise CliError(str(exc), f"give the {KEY_FILE} that `feedlens rules keygen` wrote") from None


def _public_key(given: str):
    try:
        return signing.read_public(given)
    except signing.SigningError as exc:
        raise CliError(f"--pubkey: {exc}", f"give a {PUBLIC_FILE} file or its `ed25519:…` line") from None
