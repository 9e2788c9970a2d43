"""Login throttling (PRODUCT §1): per email and address, per address, per email; atomic."""
import threading
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import func, select
from werkzeug import security

from app import create_app
from cbcw.accounts import service, throttle
from cbcw.accounts.models import LoginThrottle
from cbcw.accounts.service import authenticate
from cbcw.accounts.throttle import LoginThrottled
from cbcw.config import TestConfig
from cbcw.extensions import db as _db
from tests.conftest import PASSWORD
from tests.fixtures.shared_database import add_user_in_new_organisation
from tests.helpers.clock import FROZEN_NOW


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


def attempt(email, password, address):
    """One login attempt as the login view makes it: 'ok', 'wrong' or the Retry-After seconds."""
    try:
        user = authenticate(email, password, address)
    except LoginThrottled as throttled:
        _db.session.rollback()
        return throttled.retry_after
    _db.session.commit()
    return "ok" if user else "wrong"


def test_sixth_attempt_from_one_address_gets_429_with_retry_after(post, admin):
    """After five wrong passwords from one address the login page answers 429 with Retry-After."""
    for _ in range(5):
        assert post("/login", {"email": admin.email, "password": "wrong"}).status_code == 200
    response = post("/login", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 900
    assert b"Too many failed attempts. Try again in" in response.data and b"Log in to ChangeBreeze" in response.data


def test_owner_logs_in_from_a_clean_address_during_a_distributed_attack(app, admin, clock):
    """Failures against one email from many addresses slow those addresses down, never the owner."""
    for n in range(30):
        assert attempt(admin.email, "guess", f"203.0.113.{n}") == "wrong"
    assert isinstance(attempt(admin.email, "guess", "203.0.113.1"), int)  # a failing address waits
    assert attempt(admin.email, PASSWORD, "198.51.100.7") == "ok"


def test_failing_address_waits_a_growing_delay_but_is_never_locked_out(app, admin, clock):
    """The email's delay grows with each failure, is capped, and passes: the right password then works."""
    for n in range(6):
        assert attempt(admin.email, "guess", f"203.0.113.{n}") == "wrong"
    waits = []
    for n in range(8):
        address = f"203.0.113.{n % 6}"
        waits.append(attempt(admin.email, "guess", address))
        clock.advance(waits[-1])
        assert attempt(admin.email, "guess", address) == "wrong"
    assert waits[0] < waits[1] < waits[2] < waits[3]
    assert max(waits) == app.config["LOGIN_MAX_DELAY_SECONDS"]
    clock.advance(attempt(admin.email, PASSWORD, "203.0.113.3"))
    assert attempt(admin.email, PASSWORD, "203.0.113.3") == "ok"


def test_made_up_emails_from_a_shared_address_cannot_lock_its_users_out(app, admin, clock):
    """Many failures with made-up emails from one (proxy) address only delay that address's users."""
    for n in range(40):
        result = attempt(f"nobody{n}@example.test", "guess", "10.0.0.1")
        if isinstance(result, int):
            clock.advance(result)
    wait = attempt(admin.email, PASSWORD, "10.0.0.1")
    assert wait == "ok" or wait <= app.config["LOGIN_MAX_DELAY_SECONDS"]
    clock.advance(app.config["LOGIN_MAX_DELAY_SECONDS"])
    assert attempt(admin.email, PASSWORD, "10.0.0.1") == "ok"


def test_right_password_clears_the_email_count(app, admin, clock):
    """A successful login forgets the email's earlier failures at that address."""
    for _ in range(4):
        attempt(admin.email, "guess", "10.0.0.2")
    assert attempt(admin.email, PASSWORD, "10.0.0.2") == "ok"
    for _ in range(4):
        assert attempt(admin.email, "guess", "10.0.0.2") == "wrong"


def test_window_end_lifts_the_per_address_limit(app, admin, clock):
    """Five failures from one address block that email there only until the window ends."""
    for _ in range(5):
        attempt(admin.email, "guess", "10.0.0.3")
    assert attempt(admin.email, PASSWORD, "10.0.0.3") == app.config["LOGIN_WINDOW_SECONDS"]
    clock.advance(app.config["LOGIN_WINDOW_SECONDS"])
    assert attempt(admin.email, PASSWORD, "10.0.0.3") == "ok"


def test_expired_rows_are_pruned(app, admin, clock):
    """Rows that no longer throttle anything are deleted, so the table does not grow forever."""
    for n in range(10):
        attempt(f"nobody{n}@example.test", "guess", f"192.0.2.{n}")
    assert _db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 30
    clock.advance(app.config["LOGIN_WINDOW_SECONDS"] + app.config["LOGIN_MAX_DELAY_SECONDS"] + 1)
    attempt(admin.email, PASSWORD, "192.0.2.200")
    assert _db.session.scalar(select(func.count()).select_from(LoginThrottle)) <= 3


def test_unknown_email_costs_one_password_hash_like_a_known_one(app, admin, monkeypatch):
    """Unknown email and wrong password both check one hash, so timing does not tell them apart."""
    calls = []
    real = security.check_password_hash
    monkeypatch.setattr(service, "check_password_hash", lambda *a: calls.append("dummy") or real(*a))
    monkeypatch.setattr("cbcw.accounts.models.check_password_hash", lambda *a: calls.append("user") or real(*a))
    attempt("nobody@example.test", "guess", "10.0.0.4")
    attempt(admin.email, "guess", "10.0.0.4")
    assert calls == ["dummy", "user"]


@pytest.mark.parametrize("hops, client_address", [(0, "127.0.0.1"), (1, "198.51.100.7"), (2, "192.0.2.1")])
def test_client_address_comes_from_x_forwarded_for_only_through_trusted_hops(hops, client_address):
    """The client address is read from X-Forwarded-For only through TRUSTED_PROXY_HOPS proxies:
    an entry a client forged beyond them is never believed."""
    app = create_app(type("ProxiedConfig", (TestConfig,), {"TRUSTED_PROXY_HOPS": hops}))
    app.add_url_rule("/_address", "address", lambda: request.remote_addr)
    response = app.test_client().get(
        "/_address", headers={"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert response.get_data(as_text=True) == client_address


def test_failures_are_counted_against_the_client_address(post, admin, db):
    """The login view counts a failure against the request's client address."""
    post("/login", {"email": admin.email, "password": "wrong"}, environ_base={"REMOTE_ADDR": "192.0.2.44"})
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert {"address:192.0.2.44", f"pair:{admin.email}|192.0.2.44", f"email:{admin.email}"} <= keys


def test_forty_parallel_wrong_passwords_get_at_most_five_tries(shared_app):
    """Parallel guesses are counted one after another: 40 at once get 5 password checks, no more."""
    with shared_app.app_context():
        add_user_in_new_organisation("target@example.test", PASSWORD, role="engineer")
    start = threading.Barrier(40)
    results, errors = [], []

    def guess():
        with shared_app.app_context():
            try:
                start.wait()
                results.append(attempt("target@example.test", "guess", "203.0.113.9"))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 40 and results.count("wrong") == 5


def test_authenticate_leaves_the_commit_to_the_caller(app, admin):
    """authenticate writes the attempt into the session but does not commit: a rollback undoes it."""
    assert authenticate(admin.email, "guess", "10.0.0.5") is None
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_parallel_logins_of_the_same_people_from_one_address_never_deadlock(shared_app):
    """Rounds of parallel right-password logins (rows of earlier rounds expired) all succeed.

    A success resets its email and pair rows to expire at once, so the next round's attempts
    prune rows the others are about to lock: pruning must never hold such a row while waiting
    for the address row (PostgreSQL answered "deadlock detected", a 503, in the load soak).
    """
    emails = [f"person{n}@example.test" for n in range(4)]
    with shared_app.app_context():
        for email in emails:
            add_user_in_new_organisation(email, PASSWORD, role="engineer")
    results, errors = [], []
    for _ in range(5):
        start = threading.Barrier(12)

        def log_in(email):
            with shared_app.app_context():
                try:
                    start.wait()
                    results.append(attempt(email, PASSWORD, "198.51.100.7"))
                except Exception as error:  # noqa: BLE001 - reported below
                    errors.append(error)
                finally:
                    _db.session.remove()

        threads = [threading.Thread(target=log_in, args=(emails[n % 4],)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert results == ["ok"] * 60
