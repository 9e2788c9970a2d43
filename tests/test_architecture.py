"""Who may import whom (docs/ARCHITECTURE.md, "Layers"): the contracts of `.importlinter` are kept
and no import cycle joins two modules or two packages; and the check is not blind: a copy of the
code with forbidden imports added is reported broken.

The contracts run in a subprocess (`lint-imports` from this venv), so the copy's modules never mix
with the ones this test process has imported.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


from tests.helpers import import_cycles

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(directory: Path) -> subprocess.CompletedProcess:
    """`lint-imports` over the code in `directory` (its `.importlinter`, its `cbcw` and `cw_simulator`)."""
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=directory, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(directory)})


def broken_contracts(output: str) -> set[str]:
    """The names on the summary's "<name> BROKEN" or "<name> BROKEN (n ignored imports)" lines."""
    return {match[1] for match in re.finditer(r"^(.+) BROKEN(?: \(\d+ ignored imports?\))?$", output, re.MULTILINE)}


def test_every_import_contract_is_kept():
    """Layers, the core without integrations, the API client without the product, the simulator alone."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_cycle_between_modules_or_packages():
    """Counted on every import (also inside functions), leaving out only what `.importlinter` lists."""
    graph = import_cycles.build_graph()
    assert graph.modules >= {"cbcw.changes.operations", "cw_simulator.api"}  # the real tree was read
    assert import_cycles.report(graph, import_cycles.left_out(str(ROOT / ".importlinter"))) == {
        "module": [], "package": []}


def test_the_cycle_finder_finds_cycles():
    edges = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "d"), ("f", "a")}
    assert import_cycles.cycles(edges) == [["a", "b", "c"], ["d", "e"]]
    assert import_cycles.package_of("cbcw.connectwise.api.client") == "cbcw.connectwise.api"
    assert import_cycles.package_of("cbcw.changes.forms") == "cbcw.changes"
    assert import_cycles.package_of("cw_simulator.api") == "cw_simulator"


def test_forbidden_imports_are_reported(tmp_path):
    """The core importing the API client, the devices importing the changes (a cycle) and the
    simulator importing the product each break their contract, and the cycle shows."""
    for name in ("cbcw", "cw_simulator"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path)
    for module, line in (("cbcw/changes/models.py", "import cbcw.connectwise.api.client"),
                         ("cbcw/devices/models.py", "import cbcw.changes.models"),
                         ("cw_simulator/store.py", "import cbcw")):
        with open(tmp_path / module, "a") as source:
            source.write(f"\n{line}  # added by test_architecture\n")

    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert broken_contracts(result.stdout) == {
        "No import cycles between sibling packages or modules",
        "The product's layers: each imports only the layers below it",
        "The core never imports an integration",
        "The simulator never imports the product",
    }, result.stdout
    assert "cbcw.changes.models -> cbcw.connectwise.api.client" in result.stdout

    cycles = subprocess.run([sys.executable, "-m", "tests.helpers.import_cycles"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert cycles.returncode == 1
    assert "1 cycle(s) between packages\n  cbcw.changes ↔ cbcw.devices\n" in cycles.stdout, cycles.stdout
