"""The core names no integration module: an integration plugs in through its declaration only
(`cbcw/integrations/spec.py`), so a second PSA never means editing the core. The import graph and
its layers are checked by the architecture test; this reads the source text, comments included."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ("app.py", "cbcw/models.py", "cbcw/scheduler", "cbcw/changes", "cbcw/devices", "cbcw/calendar",
        "cbcw/integrations")
INTEGRATION_MODULE = re.compile(r"\bcbcw[./]connectwise\b|\bcw_simulator\b|\bfrom cbcw import connectwise\b")


def _core_sources():
    for entry in CORE:
        path = ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_core_modules_name_no_integration_module():
    """No line of app.py, the model registry, the scheduler, changes, devices, calendar or the
    integration registry names a module of cbcw/connectwise or the simulator."""
    naming = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
              for path in _core_sources()
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if INTEGRATION_MODULE.search(line)]
    assert naming == []


def test_the_check_sees_an_import_of_the_integration():
    """The pattern catches the ways a core module could name the integration."""
    for line in ("from cbcw.connectwise.tickets import picker", "import cbcw.connectwise.linked",
                 "from cbcw import connectwise", "# see cbcw/connectwise/sync/devices.py", "from cw_simulator import cli"):
        assert INTEGRATION_MODULE.search(line), line
    assert not INTEGRATION_MODULE.search('if device.external_source == "connectwise":')
