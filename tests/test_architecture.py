"""The package's shape: one direction of flow, no import cycles, small modules.

The layers themselves are an import-linter contract in pyproject.toml (``lint-imports``
runs in CI); these tests add what import-linter does not check.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import lrplot

PACKAGE = Path(lrplot.__file__).parent
MAX_LINES = 400


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative enough for ~60 nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles_anywhere_in_the_package() -> None:
    graph = grimp.build_graph("lrplot", cache_dir=None)  # no .grimp_cache in the checkout
    modules = {m for m in graph.modules if m.startswith("lrplot")}
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(name)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.d", imported="a.b")
    assert _cycles(graph, {"a.b", "a.c", "a.d"}) == [["a.b", "a.c"]]


def test_layers_contract_holds() -> None:
    script = Path(sys.executable).parent / "lint-imports"
    if not script.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run(  # no .import_linter_cache left in the checkout
        [str(script), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_or_say_why(path: Path) -> None:
    lines = path.read_text().count("\n")
    if lines <= MAX_LINES:
        return
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "longer than the others on purpose" in docstring, f"{path.name}: {lines} lines"


def test_public_api_is_what_tab_completion_shows() -> None:
    assert {"load", "loads", "simulate", "figure", "write", "to_csv", "summary"} <= set(dir(lrplot))
    assert "annotations" not in dir(lrplot) and "TYPE_CHECKING" not in dir(lrplot)
