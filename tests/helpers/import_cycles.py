"""Import cycles in the product and the simulator, between modules and between packages.

    .venv/bin/python -m tests.helpers.import_cycles        # prints every cycle, exits 1 if any
    .venv/bin/python -m tests.helpers.import_cycles --all  # also through the imports left out

Left out are the imports the `acyclic_siblings` contract of `.importlinter` ignores (ConnectWise
imports the core still has until branch `plugin` merges), so both checks read one list.

The graph is grimp's (the one import-linter checks): every import statement counts, also one
inside a function or under `TYPE_CHECKING`, because hiding an import does not remove the
dependency. A package is `cbcw.<X>`, or `cbcw.connectwise.<Y>` inside the integration; the
simulator is one package. A cycle is a strongly connected component of more than one node.
"""
import sys
from collections import defaultdict
from collections.abc import Iterable

import grimp
from importlinter.api import read_configuration

ROOTS = ("cbcw", "cw_simulator")
INTEGRATIONS = ("cbcw.connectwise",)
CONFIG = ".importlinter"


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


def left_out(config: str = CONFIG) -> set[tuple[str, str]]:
    """The (importer, imported) pairs the acyclic contract of `config` ignores (exact names only)."""
    pairs = set()
    for contract in read_configuration(config)["contracts_options"]:
        if contract["type"] == "acyclic_siblings":
            for line in contract.get("ignore_imports", []):
                importer, imported = (name.strip() for name in line.split("->"))
                pairs.add((importer, imported))
    return pairs


def module_edges(graph: grimp.ImportGraph, leave_out: Iterable[tuple[str, str]] = ()) -> set[tuple[str, str]]:
    edges = {
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
    }
    return edges - set(leave_out)


def package_edges(module_level: set[tuple[str, str]]) -> set[tuple[str, str]]:
    edges = {(package_of(a), package_of(b)) for a, b in module_level}
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


def report(graph: grimp.ImportGraph, leave_out: Iterable[tuple[str, str]] = ()) -> dict[str, list[str]]:
    """Every cycle, described, by level ("module", "package"), without the `leave_out` imports."""
    modules = module_edges(graph, leave_out)
    found = {}
    for level, edges in (("module", modules), ("package", package_edges(modules))):
        found[level] = [describe(component, edges) for component in cycles(edges)]
    return found


def main(argv: list[str]) -> int:
    leave_out = set() if "--all" in argv else left_out()
    if leave_out:
        print(f"{len(leave_out)} import(s) left out, as {CONFIG} lists them (--all to include them)")
    found = report(build_graph(), leave_out)
    for level, components in found.items():
        print(f"{len(components)} cycle(s) between {level}s")
        for text in components:
            print("  " + text)
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
