"""Login throttling (PRODUCT §1): per email and address, per address, per email; atomic."""
import threading

import pytest
from flask import Response, request
from sqlalchemy import func, select
from werkzeug import security
from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from cbcw.accounts import known_browser, service
from cbcw.accounts.models import LoginThrottle
from cbcw.accounts.service import authenticate
from cbcw.accounts.throttle import LoginThrottled
from cbcw.config import TestConfig
from cbcw.extensions import db as _db
from tests.conftest import PASSWORD
from tests.fixtures.shared_database import add_user_in_new_organisation
from tests.helpers.at_once import at_once


def attempt(email, password, address, browser_cookie=None):
    """One login attempt as the login view makes it: 'ok', 'wrong' or the Retry-After seconds."""
    try:
        user = authenticate(email, password, address, browser_cookie)
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


def known_browser_cookie(user):
    """The known-browser cookie a login of `user` leaves in the browser."""
    response = Response()
    known_browser.remember(response, user)
    return parse_cookie(response.headers["Set-Cookie"])[known_browser.COOKIE_NAME]


def test_a_burst_from_many_addresses_slows_the_email_down_everywhere(app, admin, clock):
    """Once an email has had LOGIN_MAX_ATTEMPTS failures from anywhere, its next attempt from any
    address (one that never failed too) waits the growing delay; after it the right password works."""
    results = [attempt(admin.email, "guess", f"203.0.113.{n}") for n in range(30)]
    assert results[:5] == ["wrong"] * 5 and all(isinstance(wait, int) for wait in results[5:])
    wait = attempt(admin.email, PASSWORD, "198.51.100.7")
    assert 0 < wait <= app.config["LOGIN_MAX_DELAY_SECONDS"]
    clock.advance(wait)
    assert attempt(admin.email, PASSWORD, "198.51.100.7") == "ok"


def test_the_owners_known_browser_is_not_slowed_by_a_burst(app, admin, clock):
    """A browser the owner has logged in from logs in at once during a burst, from any address."""
    cookie = known_browser_cookie(admin)
    for n in range(30):
        attempt(admin.email, "guess", f"203.0.113.{n}")
    assert attempt(admin.email, PASSWORD, "198.51.100.7", cookie) == "ok"


def test_a_known_browser_still_meets_the_limit_per_email_and_address(app, admin, clock):
    """The known-browser cookie lifts the email's delay only: five wrong passwords from one address
    stop that address guessing that email, cookie or not."""
    cookie = known_browser_cookie(admin)
    for _ in range(5):
        assert attempt(admin.email, "guess", "10.0.0.6", cookie) == "wrong"
    assert attempt(admin.email, PASSWORD, "10.0.0.6", cookie) == app.config["LOGIN_WINDOW_SECONDS"]


def test_a_cookie_of_another_account_or_a_forged_one_is_not_known(app, admin, make_user, clock):
    """Another user's cookie, an altered one, one signed with another key and one issued before the
    password was changed all wait like any browser."""
    other = make_user()
    before_new_password = known_browser_cookie(admin)
    admin.set_password("another long password")
    _db.session.commit()
    genuine = known_browser_cookie(admin)
    app.secret_key, real_key = "another-secret-key", app.secret_key
    other_key = known_browser_cookie(admin)
    app.secret_key = real_key
    for n in range(6):
        attempt(admin.email, "guess", f"203.0.113.{n}")
    for cookie in (known_browser_cookie(other), genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB"),
                   other_key, before_new_password, "", "not-a-cookie"):
        assert isinstance(attempt(admin.email, "another long password", "198.51.100.7", cookie), int), cookie
    assert attempt(admin.email, "another long password", "198.51.100.7", genuine) == "ok"


def test_thirty_wrong_passwords_from_thirty_proxied_addresses_are_answered_429(app, client, post, admin, clock,
                                                                             monkeypatch):
    """Behind one trusted proxy, wrong passwords for one email from thirty X-Forwarded-For
    addresses: after the fifth each is answered 429 with Retry-After, never checked (nor slept)."""
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1))
    responses = [post("/login", {"email": admin.email, "password": "guess"},
                      headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(30)]
    assert [response.status_code for response in responses] == [200] * 5 + [429] * 25
    assert all(0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_MAX_DELAY_SECONDS"]
               for response in responses[5:])


def test_the_owner_logs_in_during_the_burst_from_a_browser_used_before(app, client, post, admin, clock,
                                                                        monkeypatch):
    """The owner's browser, logged in from before (and logged out since), logs in at once from a new
    address while a burst keeps their email delayed; a fresh browser waits the delay."""
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1))
    assert post("/login", {"email": admin.email, "password": PASSWORD}).status_code == 302
    post("/logout")
    attacker = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    for n in range(30):
        attacker.post("/login", data={"email": admin.email, "password": "guess"},
                      headers={"X-Forwarded-For": f"203.0.113.{n}"})
    fresh = app.test_client().post("/login", data={"email": admin.email, "password": PASSWORD},
                                   headers={"X-Forwarded-For": "198.51.100.8"})
    assert fresh.status_code == 429
    owner = post("/login", {"email": admin.email, "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert owner.status_code == 302


def test_failing_address_waits_a_growing_delay_but_is_never_locked_out(app, admin, clock):
    """The email's delay grows with each failure, is capped, and passes: the right password then works."""
    for n in range(5):
        assert attempt(admin.email, "guess", f"203.0.113.{n}") == "wrong"
    waits = []
    for n in range(8):
        address = f"203.0.113.{n % 5}"
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


def test_someone_failing_behind_the_same_address_never_keeps_a_known_browser_out(app, admin, clock):
    """A colleague behind the office's address keeps failing with made-up emails: the owner's
    browser, used before, still logs in at once; a new browser there waits the address's delay."""
    cookie = known_browser_cookie(admin)
    for n in range(40):
        attempt(f"nobody{n}@example.test", "guess", "10.0.0.1")
    assert isinstance(attempt(admin.email, PASSWORD, "10.0.0.1"), int)
    assert attempt(admin.email, PASSWORD, "10.0.0.1", cookie) == "ok"


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
    results = at_once(shared_app, lambda: attempt("target@example.test", "guess", "203.0.113.9"), 40)
    assert len(results) == 40 and results.count("wrong") == 5


def test_authenticate_leaves_the_commit_to_the_caller(app, admin):
    """authenticate writes the attempt into the session but does not commit: a rollback undoes it."""
    assert authenticate(admin.email, "guess", "10.0.0.5", None) is None
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
