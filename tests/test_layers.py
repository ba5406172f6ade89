"""The package's shape holds: import-linter's layer contracts, no cycles, no oversized files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400


def test_lint_imports_keeps_every_contract():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 3


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("feedlens", cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            # a cycle: something the imported module reaches leads back here
            if module != imported and graph.chain_exists(importer=imported, imported=module):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def test_no_source_file_is_over_the_limit():
    sources = [*ROOT.glob("proxy/**/*.py"), *ROOT.glob("addons/*.py"), *ROOT.glob("extension/**/*.js"),
               *ROOT.glob("extension/*.py"), ROOT / "dev.py"]
    too_long = {str(p.relative_to(ROOT)): n for p in sources
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert too_long == {}


COMPOSITION = {"__init__", "__main__", "api", "cli", "features", "run", "runtime", "script"}


def test_every_top_level_module_is_under_a_contract():
    """A new core module must join the core contract's list (or be named composition here),
    so no module slips past the layer check by being new."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    core = {name.removeprefix("feedlens.") for c in contracts for name in c.get("source_modules", [])}
    modules = {p.stem for p in (ROOT / "proxy" / "feedlens").glob("*.py")}
    assert modules - core - COMPOSITION == set()
    assert core & COMPOSITION == set()
