"""Fixtures for the change lifecycle tests: people, changes in each state, a signal recorder."""
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from cbcw.changes import operations, signals
from cbcw.changes.fields import ChangeFields
from cbcw.changes.unit_of_work import apply

WINDOW_START = datetime(2030, 5, 1, 22, 0, tzinfo=timezone.utc)
WINDOW_END = WINDOW_START + timedelta(hours=2)


class SignalLog:
    """Every change signal sent, as (name, sender, kwargs), safe to fill from several threads."""

    def __init__(self):
        self.events = []
        self._lock = threading.Lock()

    def __call__(self, signal_name):
        def receive(sender, **kwargs):
            with self._lock:
                self.events.append((signal_name, sender, kwargs))

        return receive

    def names(self):
        return [name for name, _, _ in self.events]

    def of(self, name):
        return [kwargs for event, _, kwargs in self.events if event == name]

    def clear(self):
        self.events.clear()


@pytest.fixture
def signal_log():
    log = SignalLog()
    receivers = [(signal, log(signal.name)) for signal in signals.ALL_EVENTS]
    for signal, receiver in receivers:
        signal.connect(receiver, weak=False)
    yield log
    for signal, receiver in receivers:
        signal.disconnect(receiver)


@pytest.fixture
def people(make_user):
    """The usual cast: a technical and an operational approver and an implementer (engineers)."""

    class People:
        technical = make_user("engineer", display_name="Tess Technical")
        operational = make_user("msp", display_name="Otto Operational")
        implementer = make_user("engineer", display_name="Ivan Implementer")

    return People


@pytest.fixture
def change_fields(company, people):
    def fields(**overrides):
        return ChangeFields(**{
            "title": "Patch the file server",
            "company_id": company.id,
            "description": "Monthly patching",
            "risk": "medium",
            "technical_approver_id": people.technical.id,
            "operational_approver_id": people.operational.id,
            "implementer_id": people.implementer.id,
            **overrides,
        })

    return fields


def edited(change, **values):
    """The change's current fields with these values changed, for update_change."""
    return replace(ChangeFields.of(change), **values)


@pytest.fixture
def new_change(db, org, engineer, change_fields):
    """A draft created through the lifecycle and committed."""

    def make(actor=None, ticket=None, **overrides):
        change = operations.create_change(
            org.id, actor or engineer, change_fields(**overrides), ticket=ticket
        )
        db.session.commit()
        return change

    return make


@pytest.fixture
def pending_change(new_change, engineer):
    def make(**overrides):
        change = new_change(**overrides)
        apply(operations.submit, change, engineer)
        return change

    return make


@pytest.fixture
def approved_change(pending_change, people):
    def make(**overrides):
        change = pending_change(**overrides)
        apply(operations.approve, change, people.technical, kind="technical")
        apply(operations.approve, change, people.operational, kind="operational")
        assert change.state == "approved"
        return change

    return make


@pytest.fixture
def scheduled_change(approved_change, engineer, people):
    def make(**overrides):
        change = approved_change(**overrides)
        apply(
            operations.schedule, change, engineer,
            window_start=WINDOW_START, window_end=WINDOW_END, implementer_id=people.implementer.id,
        )
        return change

    return make


@pytest.fixture
def in_progress_change(scheduled_change, people):
    def make(**overrides):
        change = scheduled_change(**overrides)
        apply(operations.start_implementation, change, people.implementer)
        return change

    return make


@pytest.fixture
def entries(db):
    """The change's timeline kinds, oldest first."""
    from cbcw.changes.models import TimelineEntry

    def kinds(change):
        rows = db.session.scalars(
            db.select(TimelineEntry)
            .filter_by(change_id=change.id)
            .order_by(TimelineEntry.created_at, TimelineEntry.id)
        )
        return [row.kind for row in rows]

    return kinds


@pytest.fixture
def act(client, csrf_token):
    """POST a transition form as the browser sends it: fields and CSRF token under the prefix
    (approve and reject share the decision form, prefix "decision")."""

    def do_act(change, action, headers=None, **fields):
        prefix = "decision" if action in ("approve", "reject") else action
        data = {f"{prefix}-{name}": value for name, value in fields.items()}
        data[f"{prefix}-csrf_token"] = csrf_token()
        url = f"/changes/{change.id}/{'comments' if action == 'comment' else action}"
        return client.post(url, data=data, headers=headers or {})

    return do_act


@pytest.fixture
def login_as(client, csrf_token, login):
    """Log out whoever is logged in, then log this user in."""

    def switch(user):
        client.post("/logout", data={"csrf_token": csrf_token()})
        return login(user)

    return switch
