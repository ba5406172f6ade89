"""Validate rule files and run their fixture cases: `feedlens rules check`, `rules test` and a
pack's verification share this. Checks that features add (hooks.register_rules_check) run too."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import fixtures, hooks
from ..adapters import AdapterError, load_adapter, load_adapters
from ..engine import Engine
from ..profiles import ProfileError, check_cases, load_profile


@dataclass
class CaseResult:
    case: fixtures.Case
    failures: list[str]
    items: int


@dataclass
class CheckResult:
    checked: int = 0  # rule files that loaded
    failures: list[str] = field(default_factory=list)  # every problem, cases' failures too
    cases: list[CaseResult] = field(default_factory=list)


def check(targets: list[Path]) -> CheckResult:
    """Every adapter, profile and phrase list under `targets` (files or directories) validated,
    and every fixture case beside the adapters run."""
    adapter_files, profile_files, fixture_dirs = collect(targets)
    result = CheckResult()
    adapters = []
    for path in adapter_files:
        try:
            adapters.append(load_adapter(path))
            result.checked += 1
        except AdapterError as exc:
            result.failures.extend(exc.messages)
    for extra in hooks.rules_checks().values():
        result.failures.extend(extra(targets, adapters))
    for path in profile_files:
        try:
            result.failures.extend(check_cases(load_profile(path)))
            result.checked += 1
        except ProfileError as exc:
            result.failures.extend(exc.messages)
    for directory in _phrase_dirs(targets):
        result.checked += _check_phrases(directory, result.failures)
    _run_cases(fixture_dirs, result)
    return result


def _run_cases(fixture_dirs: set[Path], result: CheckResult) -> None:
    if not fixture_dirs:
        return
    for directory in sorted({d.parent for d in fixture_dirs}):
        engine = Engine(load_adapters([directory]))  # a pack's fixtures test its own adapters
        cases, errors = fixtures.discover(directory)
        result.failures.extend(errors)
        for case in cases:
            if case.path.parent in fixture_dirs:
                outcome, failures = _run_one(engine, case)
                result.cases.append(CaseResult(case, failures, len(outcome.items) if outcome else 0))
                result.failures.extend(failures)


def _run_one(engine: Engine, case: fixtures.Case):
    try:
        return fixtures.run(engine, case)
    except OSError as exc:  # the case names a body that is not there
        return None, [case.source.at(("body",), f"cannot read the body: {exc.strerror or exc}")]


def _phrase_dirs(targets: list[Path]) -> list[Path]:
    """phrases/ of each rules dir checked as a whole, or a phrases/ dir named directly."""
    dirs = [t if t.name == "phrases" else t / "phrases" for t in targets if t.is_dir()]
    return [d for d in dirs if d.is_dir()]


def _check_phrases(directory: Path, failures: list[str]) -> int:
    from ..phrases import PhraseError, check_cases as check_phrase_cases, load_library

    try:
        library = load_library(directory)
    except PhraseError as exc:
        failures.extend(exc.messages)
        return 0
    failures.extend(check_phrase_cases(library))
    return len(library.lists)


def collect(targets: list[Path]):
    """(adapter files, profile files, fixture dirs) under `targets`."""
    adapters, profiles, fixture_dirs = [], [], set()
    for target in targets:
        if target.is_dir() and target.name.endswith(".fixtures"):
            fixture_dirs.add(target)
            continue
        files = sorted(target.rglob("*.yaml")) if target.is_dir() else [target]
        for path in files:
            if any(part.endswith(".fixtures") for part in path.parts[:-1]):
                fixture_dirs.add(path.parent)
            elif path.parent.name == "platforms":
                adapters.append(path)
            elif path.parent.name == "profiles":
                profiles.append(path)
        if target.is_file() and target.parent.name == "platforms":
            sibling = target.with_suffix(".fixtures")
            if sibling.is_dir():
                fixture_dirs.add(sibling)
    return adapters, profiles, fixture_dirs
