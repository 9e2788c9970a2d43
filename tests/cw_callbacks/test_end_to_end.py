"""The whole loop over real sockets (PRODUCT §3.11): the app served on a free port with
APP_BASE_URL pointing at it, the simulator, and the scheduler's `cw-callbacks` job running in a
thread once a second as `flask scheduler` runs it. A change made through the simulator's API
reaches the app as a signed callback, is acted on by the job, and shows: a linked ticket's new
status on the open widget within 2 s (its poll), a renamed configuration's device within 5 s.
Forged callbacks are refused; a replayed genuine one changes nothing twice. The test waits for
the job's runs, never sleeps."""
from __future__ import annotations

import logging
import re
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from cbcw.connectwise.callbacks import registration, signing
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.integration import CALLBACKS_JOB_ID, scheduled_jobs
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.scheduler.runner import run_job
from tests.cw_callbacks.conftest import payload, signed_headers, signing_key
from tests.fixtures.loopback_http import serving
from tests.fixtures.shared_database import close_shared_app, make_shared_app
from tests.helpers.acme import acme_organisation

PASSWORD = "correct horse battery"


class JobThread:
    """Runs the `cw-callbacks` scheduled job every second (as APScheduler would); `wait_for(n)`
    blocks until n callbacks have been handled in all, or the timeout."""

    def __init__(self, app):
        self.app, self.job = app, next(j for j in scheduled_jobs(app.config) if j.id == CALLBACKS_JOB_ID)
        self.condition, self.stop = threading.Condition(), threading.Event()
        self.handled = 0
        self.thread = threading.Thread(target=self._run, name="cw-callbacks-job", daemon=True)

    def _run(self):
        real = self.job.run
        job = type(self.job)(self.job.id, lambda: self._count(real()), self.job.trigger, self.job.trigger_args,
                             self.job.lease)
        while not self.stop.is_set():
            run_job(self.app, job)
            self.stop.wait(self.job.trigger_args["seconds"])

    def _count(self, handled):
        with self.condition:
            self.handled += handled
            self.condition.notify_all()

    def wait_for(self, total, timeout):
        with self.condition:
            return self.condition.wait_for(lambda: self.handled >= total, timeout)


def served(app):
    """The app on a free loopback port, in a thread; yields its root URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return serving(make_server("127.0.0.1", 0, app, threaded=True))


@pytest.fixture
def live(shared_database_url, cw_sim):
    app = make_shared_app(shared_database_url, CW_CALLBACKS=True)
    signing.keys.clear()
    try:
        with served(app) as url:
            app.config["APP_BASE_URL"] = url
            jobs = JobThread(app)
            jobs.thread.start()
            try:
                yield app, url, jobs
            finally:
                jobs.stop.set()
                jobs.thread.join(5)
    finally:
        close_shared_app(app)


def set_up(app, cw_sim) -> dict:
    """An organisation mapped to the simulator's Acme (its open ticket's board, Server type), a change
    linked to that ticket, and the callbacks registered as saving the settings does."""
    with app.app_context():
        found = acme_organisation(cw_sim, "Live MSP", "lee@live.test", PASSWORD)
        assert "2 registered" in registration.sync(found["settings"])  # its board's tickets, Acme's configurations
        found["address"] = "/connectwise/callbacks/" + registration.endpoint_of(found["organisation_id"]).key
        return found


def logged_in(url) -> requests.Session:
    session = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(f"{url}/login", timeout=5).text).group(1)
    response = session.post(f"{url}/login", data={"email": "lee@live.test", "password": PASSWORD, "csrf_token": token},
                            timeout=5, allow_redirects=False)
    assert response.status_code == 302
    return session


def status_id(cw_sim, name, board) -> int:
    return next(s["id"] for s in cw_sim.raw("GET", f"/service/boards/{board}/statuses").json() if s["name"] == name)


def test_a_status_and_a_configuration_changed_in_the_simulator_show_in_seconds(live, cw_sim):
    app, url, jobs = live
    found = set_up(app, cw_sim)
    ticket, widget = found["ticket"], f"{url}/changes/{found['change_id']}/connectwise-ticket"
    session = logged_in(url)
    first = session.get(widget, headers={"HX-Request": "true"}, timeout=5).text
    mark = re.search(r'data-ticket-mark="(\d+)"', first).group(1)
    poll = f"{widget}?since={mark}"
    assert session.get(poll, headers={"HX-Request": "true"}, timeout=5).status_code == 204

    started = time.monotonic()
    cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}", json=[{"op": "replace", "path": "status", "value": {
        "id": status_id(cw_sim, "In Progress", ticket["board"]["id"])}}]).raise_for_status()
    assert jobs.wait_for(1, timeout=2)
    redrawn = session.get(poll, headers={"HX-Request": "true"}, timeout=5)
    assert redrawn.status_code == 200 and "In Progress" in redrawn.text
    assert time.monotonic() - started < 2

    started = time.monotonic()
    cw_sim.raw("PATCH", "/company/configurations/1001", json=[
        {"op": "replace", "path": "name", "value": "acme-dc01-new"}]).raise_for_status()
    assert jobs.wait_for(2, timeout=5)
    with app.app_context():
        device = db.session.get(Device, found["device_id"])
        assert device.hostname == "acme-dc01-new" and device.external_name == "acme-dc01-new"
        db.session.remove()
    assert time.monotonic() - started < 5


def test_forged_callbacks_are_refused_and_a_replay_changes_nothing_twice(live, cw_sim):
    app, url, jobs = live
    found = set_up(app, cw_sim)
    address, ticket = url + found["address"], found["ticket"]
    body = payload(cw_sim, "ticket", ticket["id"])
    assert requests.post(address, data=body, timeout=5).status_code == 401
    assert requests.post(address, data=body, headers={"x-content-signature": "AAAA"}, timeout=5).status_code == 401
    elsewhere = payload(cw_sim, "ticket", ticket["id"], key_url_="http://127.0.0.2:9/key?id=1")
    assert requests.post(address, data=elsewhere, headers=signed_headers("mine", elsewhere), timeout=5).status_code == 401
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ReceivedCallback)) == 0
        db.session.remove()

    genuine = signed_headers(signing_key(cw_sim), body)
    assert requests.post(address, data=body, headers=genuine, timeout=5).text.strip() == "recorded"
    assert jobs.wait_for(1, timeout=2)
    assert requests.post(address, data=body, headers=genuine, timeout=5).text.strip() == "duplicate"
    with app.app_context():
        rows = db.session.scalars(db.select(ReceivedCallback)).all()
        assert [(r.entity_id, r.state) for r in rows] == [(ticket["id"], "done")]
        db.session.remove()
