"""A user's write never waits for ConnectWise (issue 17): background work that talks to
ConnectWise holds no database write lock while a request is out. Each test holds the background
job's ConnectWise request at a loopback proxy (`held_proxy`), and while it is held a user saves a
form on the same database (a SQLite file, or PostgreSQL): the save must answer at once. On SQLite
a lock held across the call makes the save wait its 3 s and answer 503. No sleeps: the tests wait
for the held request to arrive, and release it only after the save answered."""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.models import Change
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.callbacks import registration
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.callbacks.processing import process_due
from cbcw.connectwise.drift.check import check_organisation
from cbcw.connectwise.drift.models import DriftRun
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.sync import runs
from cbcw.connectwise.sync.models import SyncRun
from cbcw.connectwise.sync.runner import execute
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.notifications.models import NotificationPreference
from tests.fixtures.delivery_worker import delivery_worker
from tests.fixtures.loopback_http import held_proxy
from tests.helpers.acme import acme_organisation

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _patient(shared_app, monkeypatch):
    """ConnectWise's answer is waited for longer than a web request waits for a lock (3 s), so a
    held lock shows as the save's 503, never as the background giving up first and letting it through."""
    monkeypatch.setitem(shared_app.config, "CW_READ_TIMEOUT", 10.0)


def organisation(app, cw_sim, proxy_root: str) -> dict:
    """An organisation whose ConnectWise is the simulator behind the proxy, Acme and Server types
    mapped, a user, a change linked to Acme's open ticket and a device ConnectWise no longer has."""
    with app.app_context():
        found = acme_organisation(cw_sim, "Held MSP", "lee@held.test", PASSWORD)
        found["settings"].base_url = proxy_root + "/v4_6_release/apis/3.0"
        db.session.add(Device(organisation_id=found["organisation_id"], company_id=found["company_id"],
                              device_type_id=found["device_type_id"], hostname="acme-old01",
                              external_source="connectwise", external_id="999999", external_name="acme-old01",
                              external_type_id="1"))
        db.session.commit()
        found["ticket_id"] = found["ticket"]["id"]
        db.session.remove()
    return found


def token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def save_a_form(app, user_id: int) -> int:
    """A user logs in and saves their notification choices; returns the save's status."""
    browser = app.test_client()
    login = browser.post("/login", data={"email": "lee@held.test", "password": PASSWORD,
                                         "csrf_token": token(browser.get("/login").text)})
    assert login.status_code == 302
    form = token(browser.get("/profile").text)
    saved = browser.post("/profile/notifications", data={"csrf_token": form, "channel-approved": "in_app"})
    with app.app_context():
        stored = db.session.scalars(select(NotificationPreference.kind).where(
            NotificationPreference.user_id == user_id)).all()
        db.session.remove()
    assert stored == ["approved"]
    return saved.status_code


@contextmanager
def in_background(app, work):
    """Run `work` in its own app context on a thread (as the scheduler does); joined at the end."""
    failures = []

    def run():
        with app.app_context():
            try:
                work()
            except Exception as error:  # noqa: BLE001 - reported by the test below
                failures.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    thread.join(30)
    assert not thread.is_alive() and not failures, failures


def test_a_save_answers_while_a_callback_waits_on_connectwise(shared_app, cw_sim):
    with held_proxy(cw_sim.root_url, "/service/tickets/") as (root, arrived, release):
        found = organisation(shared_app, cw_sim, root)
        with shared_app.app_context():
            db.session.add(ReceivedCallback(organisation_id=found["organisation_id"], digest="a" * 64,
                                            entity_type="ticket", action="updated", entity_id=found["ticket_id"]))
            db.session.commit()
            db.session.remove()

        with in_background(shared_app, process_due):
            assert arrived.wait(10), "the callback job never asked ConnectWise"
            assert save_a_form(shared_app, found["user_id"]) == 302
            release.set()

    with shared_app.app_context():
        row = db.session.scalar(select(ReceivedCallback))
        assert (row.state, row.attempts) == ("done", 1)
        db.session.remove()


def test_a_save_answers_while_a_full_sync_counts_what_it_skipped(shared_app, cw_sim):
    """After its pages, a full sync deactivates the devices ConnectWise no longer has and asks
    ConnectWise how many configurations it skipped: the count is held."""
    with held_proxy(cw_sim.root_url, "/company/configurations/count") as (root, arrived, release):
        found = organisation(shared_app, cw_sim, root)
        with shared_app.app_context():
            run_id = runs.request_run(found["organisation_id"], "cli", full=True, start_now=True).id
            db.session.remove()

        with in_background(shared_app, lambda: execute(run_id)):
            assert arrived.wait(10), "the sync never counted the skipped configurations"
            assert save_a_form(shared_app, found["user_id"]) == 302
            release.set()

    with shared_app.app_context():
        run = db.session.get(SyncRun, run_id)
        assert (run.status, run.deactivated) == ("succeeded", 1)
        db.session.remove()


def test_a_save_answers_while_the_drift_check_reads_the_tickets(shared_app, cw_sim):
    with held_proxy(cw_sim.root_url, "/service/tickets") as (root, arrived, release):
        found = organisation(shared_app, cw_sim, root)
        with in_background(shared_app, lambda: check_organisation(found["organisation_id"])):
            assert arrived.wait(10), "the drift check never read the tickets"
            assert save_a_form(shared_app, found["user_id"]) == 302
            release.set()

    with shared_app.app_context():
        run = db.session.scalar(select(DriftRun))
        assert (run.error, run.changes_checked) == (None, 1)
        db.session.remove()


def test_a_save_answers_while_the_delivery_worker_waits_on_connectwise(shared_app, cw_sim):
    with held_proxy(cw_sim.root_url, "/service/tickets") as (root, arrived, release):
        found = organisation(shared_app, cw_sim, root)
        with shared_app.app_context():
            change, user = db.session.get(Change, found["change_id"]), db.session.get(User, found["user_id"])
            operations.cancel(change, user, "Not needed")  # queues writes to the ticket (its status, a note)
            db.session.commit()
            queued = db.session.scalar(select(func.count()).select_from(OutboxWrite))
            db.session.remove()

        with delivery_worker(shared_app, threads=2) as (_, finished):
            assert arrived.wait(10), "the worker never asked ConnectWise"
            assert save_a_form(shared_app, found["user_id"]) == 302
            release.set()
            assert finished.wait(queued)

    with shared_app.app_context():
        states = {w.state for w in db.session.scalars(select(OutboxWrite))}
        assert "sent" in states and states <= {"sent", "skipped"}
        db.session.remove()


def test_a_save_answers_while_an_admin_registers_the_callbacks(shared_app, cw_sim, monkeypatch):
    """Saving the ConnectWise settings registers the callbacks in ConnectWise, in the admin's own
    request: while it waits for ConnectWise to create one, another user's save still answers."""
    monkeypatch.setitem(shared_app.config, "CW_CALLBACKS", True)
    with held_proxy(cw_sim.root_url, "POST /v4_6_release/apis/3.0/system/callbacks") as (root, arrived, release):
        found = organisation(shared_app, cw_sim, root)

        def register():
            assert "2 registered" in registration.sync(get_settings(found["organisation_id"]))

        with in_background(shared_app, register):
            assert arrived.wait(10), "the callbacks were never registered"
            assert save_a_form(shared_app, found["user_id"]) == 302
            release.set()

    with shared_app.app_context():
        assert len(registration.registrations(found["organisation_id"])) == 2
        db.session.remove()
