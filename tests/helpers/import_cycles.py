"""Import cycles in the product and the simulator, between modules and between packages.

    .venv/bin/python -m tests.helpers.import_cycles      # prints every cycle, exits 1 if any

The graph is grimp's (the one import-linter checks): every import statement counts, also one
inside a function or under `TYPE_CHECKING`, because hiding an import does not remove the
dependency. A package is `cbcw.<X>`, or `cbcw.connectwise.<Y>` inside the integration; the
simulator is one package. A cycle is a strongly connected component of more than one node.
"""
import sys
from collections import defaultdict
from collections.abc import Iterable

import grimp

ROOTS = ("cbcw", "cw_simulator")
INTEGRATIONS = ("cbcw.connectwise",)


def build_graph() -> grimp.ImportGraph:
    """The import graph of `ROOTS` as found on `sys.path` (no cache written)."""
    return grimp.build_graph(*ROOTS, cache_dir=None)


def package_of(module: str) -> str:
    """`cbcw.changes.forms` → `cbcw.changes`; `cbcw.connectwise.api.client` → `cbcw.connectwise.api`."""
    parts = module.split(".")
    if parts[0] != "cbcw":
        return parts[0]
    depth = 3 if any(module.startswith(f"{pkg}.") for pkg in INTEGRATIONS) else 2
    return ".".join(parts[:depth])


def module_edges(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    return {
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    }


def package_edges(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    edges = {(package_of(a), package_of(b)) for a, b in module_edges(graph)}
    return {(a, b) for a, b in edges if a != b}


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one node, each sorted (Tarjan, iterative)."""
    successors: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        successors[a].append(b)
        successors.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(successors):
        if root in index:
            continue
        work = [(root, iter(successors[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(found)


def describe(component: list[str], edges: set[tuple[str, str]]) -> str:
    """The component and the imports that close it, for a failure message."""
    members = set(component)
    inside = sorted((a, b) for a, b in edges if a in members and b in members)
    return " ↔ ".join(component) + "\n" + "\n".join(f"    {a} → {b}" for a, b in inside)


def report(graph: grimp.ImportGraph) -> dict[str, list[str]]:
    """Every cycle, described, by level ("module", "package")."""
    found = {}
    for level, edges in (("module", module_edges(graph)), ("package", package_edges(graph))):
        found[level] = [describe(component, edges) for component in cycles(edges)]
    return found


def main() -> int:
    found = report(build_graph())
    for level, components in found.items():
        print(f"{len(components)} cycle(s) between {level}s")
        for text in components:
            print("  " + text)
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
