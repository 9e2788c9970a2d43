"""Real-browser fixtures: a live ChangeBreeze server seeded with the demo, and headless Chromium.

- `live_app` (module; named so as not to shadow pytest-flask's `live_server`): a shared app
  (`tests/fixtures/shared_database.py`: a SQLite file, or the PostgreSQL test database, real
  commits) with CW_SIMULATOR_URL pointing at the session's ConnectWise simulator, served by
  werkzeug's threaded server on 127.0.0.1:<free port> in a daemon thread. Shut down, tables
  emptied, engine disposed after the module.
- `demo` (function): empties every table, then runs the real `seed_demo`, and resets the
  simulator (via `cw_sim`), so each test starts from the same demo data.
- `browser` (session): Debian's /usr/bin/chromium launched through Playwright's sync API.
- `page` (function): a fresh context and page on the live server, with htmx's probe installed
  (tests/browser/htmx.py: how a test proves a click went through htmx); fails the test on an
  uncaught JavaScript error or any HTTP 5xx response the page saw.
- `login(page, email)`: logs in through the real login form; returns once htmx has processed
  the page it lands on.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from cbcw.extensions import db
from tests.browser.htmx import PROBE, wait_for_htmx
from tests.fixtures.shared_database import close_shared_app, empty_every_table, make_shared_app

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DEMO_PASSWORD = "changebreeze"  # cbcw.demo.seed.DEMO_PASSWORD
TIMEOUT_MS = 5_000
SETTINGS_URL = "/settings/integrations/connectwise"


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is a browser test (`-m "not browser"` skips them)."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    app: Flask
    url: str

    @contextmanager
    def app_context(self):
        """An app context for reading or writing the live server's database from the test."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()


@pytest.fixture(scope="module")
def live_app(shared_database_url, cw_simulator_server):
    app = make_shared_app(shared_database_url, CW_SIMULATOR_URL=cw_simulator_server.base_url)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        close_shared_app(app)


@pytest.fixture
def demo(live_app, cw_sim):
    """Empty tables refilled with the real demo data, and a reset simulator."""
    from cbcw.demo.seed import seed_demo

    with live_app.app_context():
        empty_every_table(db.engine)
        seed_demo()  # commits
    return live_app


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, demo: LiveServer):
    """A fresh browser context on the seeded live server; JS errors and 5xx responses fail the test."""
    context = browser.new_context(base_url=demo.url, locale="en-GB", timezone_id="Europe/London")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    context.add_init_script(PROBE)  # every document of the context, popups included
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} from {r.request.method} {r.url}")
            if r.status >= 500 else None)
    try:
        yield page
    finally:
        context.close()
    assert not problems, "the page hit errors:\n" + "\n".join(problems)


@pytest.fixture
def login():
    """Log in through the real form at /login; lands on the page after login, processed by htmx."""

    def do_login(page: Page, email: str, password: str = DEMO_PASSWORD) -> Page:
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        wait_for_htmx(page)
        return page

    return do_login
