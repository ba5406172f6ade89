"""Layers of the package, read from the source (every import, also those inside functions):
features never import the service, the service's modules import each other without cycles,
and no source file grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import feedlens

PACKAGE = Path(feedlens.__file__).parent
FEATURES = ("minors", "reports", "research")
# Over 400 lines, owned by other engineers at the time of writing; the list may only shrink.
KNOWN_LONG = {"addon.py", "runtime.py", "store.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of the feedlens modules (or packages) `path` imports."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from x import y` imports the module x.y when there is one (as import-linter
            # reads it), else the name y from x
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
    return {name for name in found if name == "feedlens" or name.startswith("feedlens.")}


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def sources(*parts: str) -> list[Path]:
    return sorted(PACKAGE.joinpath(*parts).glob("*.py"))


@pytest.mark.parametrize("feature", FEATURES)
def test_features_do_not_import_the_service(feature):
    offending = {path.name: sorted(n for n in imports(path) if n.startswith("feedlens.service"))
                 for path in sources(feature)}
    assert {name: found for name, found in offending.items() if found} == {}


@pytest.mark.parametrize("core", ["i18n.py", "model.py", "language.py"])
def test_the_shared_core_imports_no_feature_or_service(core):
    layered = ("feedlens.service", *(f"feedlens.{f}" for f in FEATURES))
    assert [n for n in imports(PACKAGE / core) if n.startswith(layered)] == []


def test_the_service_modules_import_each_other_without_cycles():
    service = {module_name(p): p for p in sources("service")}
    graph = {name: {n for n in imports(path) if n in service and n != name}
             for name, path in service.items()}
    cycles = []

    def visit(node, trail):
        for nxt in graph[node]:
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(node)
    done: set[str] = set()
    for start in graph:
        if start not in done:
            visit(start, [start])
    assert cycles == []


def test_no_source_file_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert set(long) <= KNOWN_LONG, long
