"""`feedlens coverage`: the coverage matrix as a terminal report and as docs/coverage.md."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

from . import paths
from .clierror import CliError
from .coverage import CLAIMED, FIXTURE, MISSING, STATES, CoverageError, Matrix, Row, coverage_file, evaluate

_MARK = {FIXTURE: "✅", CLAIMED: "☑️", MISSING: "❌"}

HEADER = """\
# Coverage: which feed surfaces feedlens reads

Every platform serves a family of feed surfaces, not one endpoint: home, following, popular and
trending lists, related videos, search, profiles, lists and threads, their continuations (page 2
and later), and older and newer paths of each. This page lists, per platform, the surfaces
feedlens is expected to read and whether an adapter endpoint reads them. It is generated from
`rules/coverage.yaml` by `feedlens coverage --write docs/coverage.md`; the test suite fails when it
is out of date.

States:

- ✅ **claimed, fixture** — an adapter endpoint claims the surface's sample request, and a fixture
  case of that endpoint requests the same path (for X: the same GraphQL operation).
- ☑️ **claimed, no fixture** — an endpoint claims the sample and has fixture cases, but none on
  this path (an older or newer path, another host or parameter of the same surface).
- ❌ **missing** — no endpoint claims it yet; the reason is given. Responses from these surfaces
  pass unchanged; when one comes from a host the platform's adapter knows and looks like a feed,
  `/api/health` lists it as a coverage gap (docs/adapters.md, `feed_like`).

The **formats** column lists the formats (docs/format.md: short_video, video, live, image, text,
article, …) of the items the fixture cases on the surface's own path extract, in the
vocabulary's order: `unknown` among them means the adapter does not (yet) tell for some items,
and — that the fixture cases on this path have no items.

Every claim is checked mechanically: the sample request (URL, method, body) is routed with the
same router and request conditions the proxy uses, and must reach the named endpoint; a missing
surface's sample must be claimed by nothing.

**Adding a surface** needs no code: add an endpoint to `rules/platforms/NAME.yaml` (see
[adapters.md](adapters.md)), a fixture case and body in `rules/platforms/NAME.fixtures/`, change
the surface's entry in `rules/coverage.yaml` from `missing:` to `endpoint:`, and run
`feedlens coverage --write docs/coverage.md`. What each mark on an item means is explained in
[provenance.md](provenance.md).

Fixtures are written for this project: small and realistic, modelled on the structure of real
responses. Where known, the sources they were modelled on are named under each platform; the real
captures themselves are not shipped (`tests/corpus_expected.yaml` holds the expected results on
them).
"""


def summary(matrix: Matrix) -> str:
    counts = matrix.counts()
    claimed = counts[FIXTURE] + counts[CLAIMED]
    return (f"{len(matrix.rows)} surfaces on {len(matrix.platforms())} platforms: {claimed} claimed "
            f"({counts[FIXTURE]} with a fixture on their path, {counts[CLAIMED]} without), "
            f"{counts[MISSING]} missing")


def format_summary(matrix: Matrix) -> str:
    """How many surfaces with a fixture on their path show a known format on every item."""
    shown = [r for r in matrix.rows if r.state == FIXTURE and r.formats]
    known = sum(1 for r in shown if "unknown" not in r.formats)
    return (f"Formats: {known} of {len(shown)} surfaces with items in their fixtures show a known "
            f"format on every item")


def formats(row: Row) -> str:
    return ", ".join(row.formats) or "—"


def _detail(row: Row) -> str:
    surface = row.surface
    return surface.endpoint if surface.missing is None else surface.missing


def text(matrix: Matrix) -> str:
    lines = []
    width = max(len(r.surface.id) for r in matrix.rows)
    detail_width = max(len(_detail(r)) for r in matrix.rows if r.state == FIXTURE) if any(
        r.state == FIXTURE for r in matrix.rows) else 0
    state_width = max(len(s) for s in STATES)
    for platform in matrix.platforms():
        lines.append(platform)
        for row in (r for r in matrix.rows if r.surface.platform == platform):
            detail = f"{_detail(row):<{detail_width}}  [{formats(row)}]" if row.state == FIXTURE else _detail(row)
            lines.append(f"  {row.surface.id:<{width}}  {row.state:<{state_width}}  {detail}")
    lines.append(format_summary(matrix))
    lines.append(summary(matrix))
    return "\n".join(lines)


def _where(row: Row) -> str:
    surface = row.surface
    if surface.sample is None:
        return "—"
    parts = urlsplit(surface.sample)
    method = "" if surface.method == "GET" else f"{surface.method} "
    body = ""
    request_body = surface.request_body or {}
    if "continuation" in request_body:
        graft = ((request_body.get("context") or {}).get("client") or {}).get("mainAppWebInfo") or {}
        body = " continuation" + (f" from {graft['graftUrl']}" if graft.get("graftUrl") else "")
    elif request_body:
        first = next(iter(request_body.items()))
        body = f" {first[0]}={first[1]}" if isinstance(first[1], str) else f" {first[0]}"
    return f"`{method}{parts.hostname}{parts.path}{body}`"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(matrix: Matrix) -> str:
    out = [HEADER, f"**{summary(matrix)}.** {format_summary(matrix)}.", ""]
    for platform in matrix.platforms():
        rows = [r for r in matrix.rows if r.surface.platform == platform]
        counts = {s: sum(1 for r in rows if r.state == s) for s in STATES}
        out.append(f"## {platform}")
        out.append("")
        modelled = matrix.modelled_on(platform)
        if modelled:
            out.append(f"Fixtures modelled on: {' '.join(modelled.split())}")
            out.append("")
        out.append(f"{counts[FIXTURE] + counts[CLAIMED]} of {len(rows)} surfaces claimed, "
                   f"{counts[MISSING]} missing.")
        out.append("")
        out.append("| surface | what | sample request | state | endpoint or reason | formats |")
        out.append("|---|---|---|---|---|---|")
        for row in rows:
            surface = row.surface
            out.append(f"| `{surface.id}` | {_cell(surface.description)} | {_cell(_where(row))} | "
                       f"{_MARK[row.state]} {row.state} | {_cell(_detail(row))} | {formats(row)} |")
        out.append("")
        out.extend(choice_lines(matrix.choices.get(platform, {})))
    return "\n".join(out)


def choice_lines(section: dict) -> list[str]:
    """The personalisation switch the choice watchdog reads (docs/choice-watchdog.md), and the
    endpoints the opt-in counterfactual check may repeat without the login."""
    rules, counterfactual = section.get("observe", []), section.get("counterfactual")
    if not rules:
        missing = "`observe:` rules" if section else "`choice:` section"
        out = [f"Personalisation switch: nothing on the wire is read yet (no {missing}).", ""]
    else:
        out = ["Personalisation switch (`choice:`, docs/choice-watchdog.md):", "",
               "| signal | kind | how sure | source |", "|---|---|---|---|"]
        for rule in rules:
            sure = rule.get("sure", "suspected" if rule["kind"] == "marker" else "confirmed")
            out.append(f"| `{rule['name']}` | {rule['kind']} | {sure} | {_cell(rule.get('source', '—'))} |")
        out.append("")
    if counterfactual:
        names = ", ".join(f"`{name}`" for name in counterfactual["endpoints"])
        out += [f"Counterfactual check (opt-in, `feedlens run --counterfactual`, only ever suspected): "
                f"{names}. {_cell(' '.join(counterfactual.get('why', '').split()))}", ""]
    return out


def command(args) -> int:
    """The `feedlens coverage` sub-command: 0 for a report (missing surfaces included), 1 when a
    claim does not hold, 2 (CliError) when the coverage file is malformed."""
    rules = Path(args.rules) if getattr(args, "rules", None) else paths.rules_dir()
    path = Path(args.file) if getattr(args, "file", None) else coverage_file(rules)
    if not path.is_file():
        raise CliError(f"no coverage file: {path}", "give the rules directory with --rules")
    try:
        matrix = evaluate(path, rules)
    except CoverageError as exc:
        more = f" ({len(exc.messages) - 1} more)" if len(exc.messages) > 1 else ""
        raise CliError(f"{exc.messages[0]}{more}", "fix rules/coverage.yaml") from None
    print(text(matrix))
    for problem in matrix.problems:
        print(f"claim does not hold: {problem}", file=sys.stderr)
    if args.write:
        Path(args.write).write_text(markdown(matrix), encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    return 1 if matrix.problems else 0


def add_coverage_parser(sub) -> None:
    parser = sub.add_parser("coverage", help="which feed surfaces the adapters claim (rules/coverage.yaml)")
    parser.add_argument("--file", help="coverage file (default: coverage.yaml in the rules directory)")
    parser.add_argument("--write", metavar="FILE", help="also write the matrix as Markdown "
                        "(docs/coverage.md)")
    parser.set_defaults(func=command)
