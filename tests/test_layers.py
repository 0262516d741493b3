"""The import arrows of search/ point one way: no circle, layers import downward only, Whoosh only where allowed.

The layers and the Whoosh rule are import-linter contracts in setup.cfg (``lint-imports``, also run by
``make lint``); the circle check walks grimp's module graph, type-checking imports included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def circles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Return the import circles among ``modules`` (strongly connected parts of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == module:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_search_has_no_import_circle() -> None:
    graph = grimp.build_graph("search", include_external_packages=False, cache_dir=None)
    modules = {m for m in graph.modules if m.startswith("search")}
    assert len(modules) > 30
    assert [] == circles(graph, modules)


def test_the_circle_check_finds_a_circle() -> None:
    """The check itself: a graph with a -> b -> c -> a has that circle."""
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b)
    assert [["p.a", "p.b", "p.c"]] == circles(graph, set(graph.modules))


def test_import_contracts_hold() -> None:
    """Layers import downward only, and Whoosh is imported only by the index package, the analyzer and
    the snippet fragmenter (import-linter's contracts in setup.cfg)."""
    assert LINT_IMPORTS.exists(), f"lint-imports is not installed beside {sys.executable}: run `make install`"
    done = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout, done.stdout


def test_only_the_allowed_modules_import_whoosh() -> None:
    """The same rule read off the graph: who imports whoosh directly."""
    graph = grimp.build_graph("search", include_external_packages=True, cache_dir=None)
    importers = {m for m in graph.find_modules_that_directly_import("whoosh") if m.startswith("search")}
    outside = {m for m in importers if not m.startswith("search.index.")}
    assert {"search.analysis.analyzer", "search.results.snippets", "search.sphinx.fields"} == outside
    assert {"search.index.translate", "search.index.generation", "search.index.schema"} <= importers
