"""Fixtures for login and session tests."""
from datetime import timedelta

import pytest
from flask import g

from cbcw.accounts import throttle
from tests.helpers.clock import FROZEN_NOW


@pytest.fixture(autouse=True)
def _per_request_state(request):
    """A real request starts with an empty `g`; the test's long-lived app context (shared by every
    request of the test client) would otherwise keep the first request's user and CSRF token there,
    hiding a revoked session or a renewed token."""
    if "app" not in request.fixturenames:  # shared_app tests push a context per thread
        yield
        return
    app = request.getfixturevalue("app")

    def forget():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, forget)
    yield
    hooks.remove(forget)


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, stopped at FROZEN_NOW and moved forward by `clock.advance(seconds)`."""

    class Clock:
        now = FROZEN_NOW

        def advance(self, seconds):
            self.now += timedelta(seconds=seconds)

    fake = Clock()
    monkeypatch.setattr(throttle, "utcnow", lambda: fake.now)
    return fake
