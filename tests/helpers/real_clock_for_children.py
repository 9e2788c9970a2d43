"""`pytest -p tests.helpers.real_clock_for_children` under Debian's `faketime` (`make test-at`):
libfaketime stays loaded in the pytest process (the app, the simulator, the live servers) but is
not handed on to child processes — Playwright's driver and Chromium misbehave under it."""
import os

os.environ.pop("LD_PRELOAD", None)
