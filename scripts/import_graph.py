"""Print search/'s import graph: each package (or module), what of search/ and Whoosh it imports, and any circle.

Usage: ``python scripts/import_graph.py [--modules]`` (exit status 1 when there is a circle).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_layers import circles  # noqa: E402


def unit(module: str, modules: bool) -> str:
    """Return the unit a module is counted in: itself, or its package under search (search.index, ...)."""
    parts = module.split(".")
    return module if modules or len(parts) < 2 else ".".join(parts[:2])


def main(argv: list[str] | None = None) -> int:
    """Print the graph and the circles; return 1 if there is one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", action="store_true", help="one line per module instead of per package")
    args = parser.parse_args(argv)
    graph = grimp.build_graph("search", include_external_packages=True, cache_dir=None)
    modules = {m for m in graph.modules if m.startswith("search")}
    arrows: dict[str, set[str]] = {}
    for module in sorted(modules):
        for imported in graph.find_modules_directly_imported_by(module):
            name = imported if imported.startswith("search") else imported.split(".")[0]
            if not name.startswith("search") and name != "whoosh":
                continue  # the standard library and other packages: not the layers
            if unit(name, args.modules) != unit(module, args.modules):
                arrows.setdefault(unit(module, args.modules), set()).add(unit(name, args.modules))
    for source in sorted({unit(m, args.modules) for m in modules}):
        print(f"{source:34} -> {', '.join(sorted(arrows.get(source, ()))) or '-'}")
    found = circles(graph, modules)
    print(f"\n{len(modules)} modules, {len(found)} import circles")
    for part in found:
        print("  circle:", " -> ".join(part))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
