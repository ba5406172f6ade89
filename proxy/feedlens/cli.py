"""The `feedlens` command line."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from . import __version__, features, layers, paths, sqlerrors
from .api import Classifier
from .coverage_report import add_coverage_parser
from .dashboard_cli import add_dashboard_parser
from .clierror import CliError, from_os_error, profile_path, read_bytes, report
from .engine import Engine, Request
from .gaps import FORMAT_CHANGE, Gap
from .model import UNCLAIMED, Outcome
from .profiles import MARK_ONLY, ProfileError, load_profile
from .packs.cli import add_pack_parsers
from .pairing import add_pair_parser
from .run import add_run_parser
from .systemd import add_service_parser
from .choices.case import read_case
from .choices.cli import add_choices_parser
from .minors.cli import add_parent_parser
from .reports.cli import add_reports_parser
from .reports.complaint_cli import add_complaint_parser
from .research.cli import add_research_parsers
from .study.cli import add_study_parser


def _classifier(args) -> Classifier:
    """The library's classifier (feedlens.api) with the rules and profile of the options; the
    profile is resolved here so that a bad one is a CliError with its hint."""
    rules = Path(args.rules) if args.rules else None
    profile = _load_named_profile(args.profile, rules) if args.profile else MARK_ONLY
    classifier = Classifier(profile, rules)  # the bundled pack and the user's on top
    for message in classifier.errors:
        print(f"warning: {message}", file=sys.stderr)
    return classifier


def _load_named_profile(name: str, rules: Path | None):
    path = profile_path(name, rules)
    if path is None:
        return MARK_ONLY
    try:
        return load_profile(path)
    except ProfileError as exc:
        first = exc.messages[0] if exc.messages else str(exc)
        more = f" ({len(exc.messages) - 1} more)" if len(exc.messages) > 1 else ""
        raise CliError(f"{first}{more}", f"invalid profile; `feedlens rules check {path}` "
                       "lists every problem") from None


# ---- classify -------------------------------------------------------------------------

def cmd_classify(args) -> int:
    body = read_bytes(args.file, "response body file")
    request_body = read_bytes(args.request_body, "request body file") if args.request_body else None
    classifier = _classifier(args)
    engine = classifier.engine
    from .session import from_header_lines  # here: only classify reads request headers
    try:  # names-level only, as the add-on reads them; neither flag: no request context
        facts = from_header_lines(args.header, args.cookie_names)
    except ValueError as exc:
        raise CliError(f"--header: {exc}", "give NAME:VALUE, e.g. --header 'Cookie: a=1; b=2'") from None
    request = Request(method=args.method.upper(), url=args.url, body=request_body,
                      content_type=args.request_content_type, session=facts)
    request.viewer = engine.viewer(request, _header_pairs(args.header))
    if args.context:
        _recall_context(engine, args, request, facts)
    content_type = args.content_type or _guess_content_type(args.file)
    outcome = classifier.process_request(request, body, content_type)
    if outcome.error:
        print(f"engine error (response would pass unchanged): {outcome.error}", file=sys.stderr)
    if not outcome.is_feed:
        print(f"no change: {outcome.reason}", file=sys.stderr)
        return 1
    if not outcome.items and (outcome.reason or "").startswith(BAD_BODY):
        raise CliError(f"{args.file}: {outcome.reason}", "save the response body itself, not an "
                       "error page or a cut-off download; check --content-type")
    if outcome.unclaimed:
        print(_gap_line(engine, request, outcome))
        if outcome.endpoint == UNCLAIMED:
            return 0  # the placeholders say nothing more than the line
    if args.format == "jsonl":
        for item in outcome.items:
            print(json.dumps(item.to_dict(), ensure_ascii=False))
    else:
        print(_table(outcome))
    print(_summary(outcome), file=sys.stderr if args.format == "jsonl" else sys.stdout)
    if args.rewrite:
        Path(args.rewrite).write_bytes(outcome.body if outcome.changed else body)
        state = "rewritten" if outcome.changed else "unchanged"
        print(f"wrote {args.rewrite} ({state})", file=sys.stderr)
    return 0


def _header_pairs(lines: list[str]) -> list[tuple[str, str]]:
    return [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]


def _recall_context(engine: Engine, args, request: Request, facts) -> None:
    """`--context FILE`: the earlier page this response continues, processed first so that the
    continuation token it issued leads to its endpoint, as in the proxy; or a response that
    describes the viewer (session.viewer.responses), so that their own posts are own."""
    from .continuations import ContinuationMemory
    context_body = (read_bytes(args.context_request_body, "context request body file")
                    if args.context_request_body else None)
    earlier_request = Request(method=args.method.upper(), url=args.context_url or args.url,
                              body=context_body, content_type=args.request_content_type, session=facts)
    earlier_body = read_bytes(args.context, "context response file")
    viewer = engine.viewer_in(earlier_request, earlier_body)
    if viewer is not None:
        request.viewer = request.viewer or viewer
        print(f"context: {args.context}: describes the viewer (their own posts are own)", file=sys.stderr)
        return
    earlier = engine.process(earlier_request, earlier_body, _guess_content_type(args.context))
    if not earlier.is_feed or earlier.endpoint == UNCLAIMED:
        raise CliError(f"{args.context}: the earlier page is not a feed feedlens reads ({earlier.reason})",
                       "give --context-url (and --context-request-body) for the page it came from")
    memory = ContinuationMemory()
    engine.remember(memory, None, earlier)
    engine.recall(memory, None, request)
    state = (f"continues {earlier.platform}/{earlier.endpoint}" if request.parent
             else f"does not continue {earlier.platform}/{earlier.endpoint} (no token of it in the request)")
    print(f"context: {args.context}: {len(earlier.tokens)} continuation token(s); this request {state}",
          file=sys.stderr)


def _gap_line(engine: Engine, request: Request, outcome: Outcome) -> str:
    """The same content-free line health shows for a coverage gap (feedlens.gaps)."""
    adapter = engine.adapters.by_platform(outcome.platform)
    kind = UNCLAIMED if outcome.endpoint == UNCLAIMED else FORMAT_CHANGE
    gap = Gap(kind, outcome.platform, request.host, request.path,
              adapter.version if adapter else "?", None if kind == UNCLAIMED else outcome.endpoint,
              responses=1, items=outcome.unclaimed)
    return gap.report_line() + " — passed unchanged"


# Engine reasons that mean the file is not what the endpoint serves (see engine._Pass).
BAD_BODY = ("body is not", "JSON body is not", "body of ", "no embedded feed data")


def _guess_content_type(file: str) -> str:
    return "text/html; charset=utf-8" if file.endswith((".html", ".htm")) else "application/json"


def _evidence_text(item) -> str:
    return "; ".join(f"{e.path}={json.dumps(e.value, ensure_ascii=False)}" for e in item.evidence
                     if e.path != "why")


def _clip(text, width: int) -> str:
    text = "" if text is None else str(text).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(outcome: Outcome) -> str:
    header = ("#", "id", "format", "relation", "provenance", "title", "author", "conf", "reason",
              "evidence", "decision", "rule")
    rows = [header]
    for item in outcome.items:
        rows.append((str(item.position), _clip(item.id, 22), _clip(item.format, 11),
                     _clip(item.relation, 8), str(item.provenance),
                     _clip(item.title, 24), _clip(item.author, 14),
                     f"{item.confidence:.2f}", _clip(item.reason, 16), _clip(_evidence_text(item), 40),
                     item.decision, _clip(item.decision_rule or item.rule, 28)))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _summary(outcome: Outcome) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts().items(), key=lambda kv: -kv[1]))
    hidden = sum(1 for i in outcome.items if i.decision == "hide")
    return (f"{outcome.platform}/{outcome.endpoint} ({outcome.surface}): {len(outcome.items)} items"
            f" — {counts or 'none'}; hidden {hidden}")


# ---- rules check ----------------------------------------------------------------------

def cmd_rules_check(args) -> int:
    from .packs.check import check

    targets = [Path(p) for p in args.paths]
    if not targets:  # the rules dir and the user's packs, each checked on its own; the layers shown
        rules = Path(args.rules) if getattr(args, "rules", None) else paths.rules_dir()
        layering = layers.load_layers(rules)
        targets = [rules] + [p.path for p in layering.packs[1:] if p.name != layers.USER_RULES]
        for line in layering.report_lines():
            print(line, file=sys.stderr)
    result = check(targets)
    for message in result.failures:
        print(message)
    print(f"checked {result.checked} rule files and {len(result.cases)} fixture cases: "
          f"{'OK' if not result.failures else f'{len(result.failures)} problems'}", file=sys.stderr)
    return 1 if result.failures else 0


# ---- addon-path ------------------------------------------------------------------------

def cmd_addon_path(args) -> int:
    """The script to give mitmproxy: `mitmdump -s "$(feedlens addon-path)"`."""
    print(Path(__file__).resolve().with_name("script.py"))
    return 0


# ---- entry point ----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="feedlens", description=__doc__)
    parser.add_argument("--version", action="version", version=f"feedlens {__version__}")
    parser.add_argument("--rules", help="rules directory (default: the bundled rules, with your "
                        "own layer from $XDG_CONFIG_HOME/feedlens/rules on top)")
    sub = parser.add_subparsers(dest="command", required=True)

    classify = sub.add_parser("classify", help="mark the items of one saved response")
    classify.add_argument("file", help="response body file")
    classify.add_argument("--url", required=True, help="URL the response was served from")
    classify.add_argument("--method", default="GET")
    classify.add_argument("--request-body", help="file with the request body (POST APIs)")
    classify.add_argument("--request-content-type", default="application/json")
    classify.add_argument("--content-type", help="response Content-Type (default from file name)")
    classify.add_argument("--profile", help="preference profile name or file")
    classify.add_argument("--format", choices=("table", "jsonl"), default="table")
    classify.add_argument("--rewrite", metavar="OUT", help="write the rewritten body here")
    classify.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                          help="a request header (repeatable); only cookie names and the "
                               "Authorization scheme are read, values are dropped")
    classify.add_argument("--cookie-names", metavar="A,B", help="names of the cookies the request carried")
    classify.add_argument("--context", metavar="FILE",
                          help="an earlier response: the page this one continues (page 2+), or one describing the viewer")
    classify.add_argument("--context-url", metavar="URL", help="URL of the --context page (default: --url)")
    classify.add_argument("--context-request-body", metavar="FILE", help="request body of the --context page")
    classify.set_defaults(func=cmd_classify)

    rules = sub.add_parser("rules", help="work with rule files")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="validate adapters and profiles, run their cases")
    check.add_argument("paths", nargs="*", help="files or directories (default: the rules dir)")
    check.set_defaults(func=cmd_rules_check)
    add_pack_parsers(rules_sub)
    addon = sub.add_parser("addon-path", help="print the add-on script for mitmdump -s / mitmweb -s")
    addon.set_defaults(func=cmd_addon_path)
    add_run_parser(sub)
    add_dashboard_parser(sub)
    add_coverage_parser(sub)
    add_pair_parser(sub)
    add_reports_parser(sub)
    add_parent_parser(sub)
    add_research_parsers(sub)
    add_service_parser(sub)
    add_study_parser(sub)
    add_complaint_parser(add_choices_parser(sub), read_case)
    return parser


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors like every other refusal (subcommands inherit it)."""

    def error(self, message: str):
        sys.exit(report(CliError(message, f"see `{self.prog} --help`")))


def main(argv: list[str] | None = None) -> int:
    features.install()  # the full schema: a profile's `limits:`, an adapter's `report:`
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        return report(exc)
    except OSError as exc:  # an input file the command opened itself (a bug would be caught too late to matter)
        if exc.filename is None:
            raise
        return report(from_os_error(exc))
    except sqlite3.Error as exc:  # a full disk or an unwritable data dir, not a bug: one line
        if not sqlerrors.is_environment(exc):
            raise
        return report(CliError(f"the item log: {sqlerrors.describe(exc)}",
                               "check the free disk space and the data dir's permissions"))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
