"""One hostile organisation for the suite, and a ConnectWise simulator whose data is hostile.

The security tests send hundreds of requests against the same data, so the organisation (every
change state, a linked ticket, mapped companies, synced devices, matched members, a failed outbox
write) is built once for the package inside one rolled-back transaction (`rolled_back`), and each
hostile request runs inside a savepoint that is rolled back after it (`World.isolated`): every
payload meets the same starting state. These modules use `world.client`, never the `app` or
`client` fixtures (those would open a second rolled-back transaction the world cannot see).
"""
from __future__ import annotations

import logging
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

import pytest
from flask import g
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from cbcw.accounts import invitations
from cbcw.accounts.email_changes import EmailChange
from cbcw.accounts.models import User
from cbcw.calendar.feed import new_token
from cbcw.changes.models import Change
from cbcw.changes.type_models import ChangeTemplate, TemplateVersion
from cbcw.connectwise.tickets import cache as ticket_cache
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.notifications.models import Notification
from cbcw.connectwise.drift.models import DriftFinding, DriftRun
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping, MemberMatch
from cw_simulator import create_simulator_app
from cw_simulator.seed import build_seed
from cbcw.connectwise.sync import runner, runs
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation
from cbcw.windows.models import ScheduleWindow
from tests.conftest import PASSWORD
from tests.fixtures.cw_simulator import SimulatorServer, point_at_simulator
from tests.fixtures.database import committed_rows, rolled_back
from tests.security.crawl import crawl

# Appended to every name ConnectWise sends (kind is the field's kind, to find it again escaped);
# the NUL is one PostgreSQL could not store.
HOSTILE_SUFFIX = ' <script>alert("{kind}")</script>"><img src=x onerror=alert(1)> javascript:alert(1) \u202e \x00'
HOSTILE_FIELDS = {"name": "name", "summary": "summary", "firstName": "member", "lastName": "member"}
ACME_CW_ID, NORTHWIND_CW_ID = 101, 103
ADMIN_MEMBER_ID = 151
OPEN_ACME_TICKET = 5001


def make_hostile(value):
    """Every name, summary and member name in the simulator's records, with markup appended."""
    if isinstance(value, list):
        return [make_hostile(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: (item + HOSTILE_SUFFIX.format(kind=HOSTILE_FIELDS[key])
                  if key in HOSTILE_FIELDS and isinstance(item, str) else make_hostile(item))
            for key, item in value.items()}


@pytest.fixture(scope="session")
def hostile_cw():
    """A simulator on a loopback socket whose companies, boards, statuses, tickets, members,
    configuration types and configurations all carry markup in their names."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sim_app = create_simulator_app()
    simulator = sim_app.extensions["cw_sim"]
    seed = build_seed()
    seed["collections"] = make_hostile(seed["collections"])
    simulator.seed_data = seed
    simulator.reset()
    server = make_server("127.0.0.1", 0, sim_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimulatorServer(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(5)


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in a real server.

    The module's app context outlives the requests (they reuse it), and Flask-Login keeps the
    loaded user in `g`: without this, a second client would be served as the first one's user."""

    requests = 0

    def open(self, *args, **kwargs):
        self.requests += 1
        for name in list(vars(g)):
            delattr(g, name)
        return super().open(*args, **kwargs)


@dataclass
class World:
    """The hostile organisation: its ids by role, and a client logged in as its admin."""

    client: FlaskClient
    anonymous: FlaskClient  # never logged in
    admin: User
    ids: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)  # state -> change id
    _starting_rows: dict | None = None
    _requests_seen: int = -1  # requests sent when the last savepoint ended

    def csrf_token(self, client: FlaskClient | None = None) -> str:
        """A valid token for the client's session (the world's admin by default)."""
        with (client or self.client).session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.client.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def login(self) -> None:
        response = self.client.post("/login", data={"email": self.admin.email, "password": PASSWORD,
                                                    "csrf_token": self.csrf_token()})
        assert response.status_code == 302, "the world's admin could not log in"

    def logged_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session

    @contextmanager
    def isolated(self):
        """Run requests inside a savepoint rolled back afterwards; log in again if they logged out."""
        if self._requests_seen != self._request_count():
            self._starting_rows = None  # a request outside a savepoint may have written
        db.session.rollback()
        savepoint = db.session.get_bind().begin_nested()
        try:
            yield
        finally:
            db.session.rollback()
            savepoint.rollback()
            db.session.expire_all()
            ticket_cache.tickets.clear()
            self._requests_seen = self._request_count()
            if not self.logged_in():
                self.login()  # outside the savepoint: the next one reads the rows again

    def _request_count(self) -> int:
        return self.client.requests + self.anonymous.requests

    def rows(self) -> dict:
        return committed_rows()

    def starting_rows(self) -> dict:
        """Every row before this savepoint's requests, read once while no request runs outside one."""
        if self._starting_rows is None:
            self._starting_rows = committed_rows()
        return self._starting_rows


def _user(organisation, role, name, email):
    user = User(organisation_id=organisation.id, email=email, display_name=name, role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def _change(organisation, requester, company, state, **fields):
    organisation.change_counter += 1
    change = Change(organisation_id=organisation.id, number=organisation.change_counter, company_id=company.id,
                    title=f"{state} change", created_by_id=requester.id, state=state, **fields)
    db.session.add(change)
    return change


def build_world(app, cw: SimulatorServer) -> World:
    """Every state a form can be shown in, linked to the hostile simulator."""
    organisation = Organisation(name="Hostile MSP")
    db.session.add(organisation)
    db.session.flush()
    admin = _user(organisation, "admin", "Ada Admin", "ada@hostile.test")
    engineer = _user(organisation, "engineer", "Erin Engineer", "erin@hostile.test")
    approver = _user(organisation, "engineer", "Olly Ops", "olly@hostile.test")
    acme, northwind = (Company(organisation_id=organisation.id, name=name) for name in ("Acme", "Northwind"))
    db.session.add_all([acme, northwind])
    db.session.flush()

    settings = get_settings(organisation.id)
    point_at_simulator(settings, cw)
    db.session.add_all([
        CompanyMapping(organisation_id=organisation.id, company_id=acme.id, cw_company_id=ACME_CW_ID,
                       cw_company_identifier="AcmeMfg", cw_company_name="Acme", board_ids=[1, 2],
                       board_names=["Service Board", "Change Management"]),
        CompanyMapping(organisation_id=organisation.id, company_id=northwind.id, cw_company_id=NORTHWIND_CW_ID,
                       cw_company_identifier="Northwind", cw_company_name="Northwind"),
    ])
    for cw_type_id in (1, 2, 3, 4):
        device_type = DeviceType(organisation_id=organisation.id, name=f"Type {cw_type_id}")
        db.session.add(device_type)
        db.session.flush()
        db.session.add(ConfigurationTypeMapping(organisation_id=organisation.id, cw_type_id=cw_type_id,
                                                cw_type_name=f"Type {cw_type_id}", device_type_id=device_type.id))
    db.session.commit()
    runner.execute(runs.request_run(organisation.id, "cli", full=True, start_now=True).id)
    match = db.session.scalar(db.select(MemberMatch).filter_by(user_id=admin.id)) or MemberMatch(
        organisation_id=organisation.id, user_id=admin.id)  # the sync matched members by e-mail: none here
    match.cw_member_id, match.cw_member_identifier, match.cw_member_name = ADMIN_MEMBER_ID, "aadmin", "Ada"
    match.method = "manual"
    db.session.add(match)

    start = datetime(2030, 5, 1, 22, 0, tzinfo=timezone.utc)  # a window years ahead, whenever the suite runs
    window = {"window_start": start, "window_end": start + timedelta(hours=2), "implementer_id": admin.id}
    hostile_text = "<script>alert('stored')</script> @acme-dc01"
    changes = {
        "draft": _change(organisation, engineer, acme, "draft", linked_ticket_id=OPEN_ACME_TICKET,
                         linked_ticket_system=TICKET_SYSTEM,
                         linked_ticket_summary="<script>alert('summary')</script>", description=hostile_text),
        "pending_approval": _change(organisation, engineer, acme, "pending_approval", technical_approver_id=admin.id,
                                    operational_approver_id=approver.id),
        "approved": _change(organisation, engineer, acme, "approved", linked_ticket_id=OPEN_ACME_TICKET,
                            linked_ticket_system=TICKET_SYSTEM),
        "scheduled": _change(organisation, engineer, acme, "scheduled", **window),
        "in_progress": _change(organisation, engineer, acme, "in_progress", actual_start_at=start, **window),
        # An emergency change awaiting its post-implementation review (PRODUCT §2.7).
        "completed": _change(organisation, engineer, acme, "completed", change_type="emergency", **window),
    }
    db.session.flush()
    write = OutboxWrite(organisation_id=organisation.id, change_id=changes["approved"].id, ticket_id=OPEN_ACME_TICKET,
                        event="change-approved", kind="note", payload={"text": hostile_text},
                        reference="cb-hostile1", state="failed", last_error="<img src=x onerror=alert(1)>")
    db.session.add(write)
    hostile_status = ("In Progress" + HOSTILE_SUFFIX.format(kind="name")).replace("\x00", "\ufffd")  # as read
    db.session.add_all([  # a drift check that found the approved change's ticket in a hostile status
        DriftRun(organisation_id=organisation.id, finished_at=start, findings_at=start, changes_checked=1),
        DriftFinding(organisation_id=organisation.id, change_id=changes["approved"].id, ticket_id=OPEN_ACME_TICKET,
                     problems=[{"kind": "status", "actual": hostile_status, "expected": "Change Approved"}]),
    ])
    # A suspended template whose newest version awaits the admin's approval: its page shows both forms.
    template = ChangeTemplate(organisation_id=organisation.id, name=hostile_text, created_by_id=engineer.id,
                              suspended=True, suspended_reason=hostile_text)
    version = TemplateVersion(organisation_id=organisation.id, template=template, version=1, title_pattern=hostile_text,
                              author_id=engineer.id)
    db.session.add_all([template, version])
    blackout = ScheduleWindow(organisation_id=organisation.id, company_id=acme.id, kind="blackout",
                              name=hostile_text[:100], reason=hostile_text, timezone="Europe/London",
                              recurrence="weekly", weekdays="0123456", start_time=time(12), end_time=time(13))
    db.session.add(blackout)
    new_token(admin)  # a feed exists; the crawl's `token` is the invitation's (its page has a form)
    # The admin's inbox holds an unread and a read item (both forms), and the engineer an open invitation link.
    notification = Notification(organisation_id=organisation.id, user_id=admin.id, change_id=changes["draft"].id,
                                kind="awaiting_approval", title=hostile_text)
    db.session.add_all([notification, Notification(
        organisation_id=organisation.id, user_id=admin.id, kind="approved", title="Read already", read_at=start)])
    invitation_token = invitations.issue(engineer, admin.id)
    # The admin's new address awaits confirmation through a link of the same token (its page has a form).
    db.session.add(EmailChange(organisation_id=organisation.id, user_id=admin.id, requested_by_id=admin.id,
                               email="admin.new@example.test", token_hash=invitations.token_digest(invitation_token),
                               expires_at=start + timedelta(days=3650)))
    db.session.commit()
    device = db.session.scalar(db.select(Device).filter_by(organisation_id=organisation.id).order_by(Device.id).limit(1))
    client = FreshRequestClient(app, app.response_class, use_cookies=True)
    world = World(client, FreshRequestClient(app, app.response_class, use_cookies=True), admin, changes={state: change.id for state, change in changes.items()})
    world.ids = {"change_id": changes["draft"].id, "company_id": acme.id, "user_id": engineer.id,
                 "device_id": device.id, "write_id": write.id, "template_id": template.id,
                 "version_id": version.id, "window_id": blackout.id, "notification_id": notification.id,
                 "token": invitation_token}
    world.login()
    return world


@pytest.fixture(scope="package")
def site(world):
    """Every page and POST form of the app, as the world's admin (and a visitor) sees them."""
    return crawl(world)


@pytest.fixture(scope="package")
def world(session_app, hostile_cw):
    """The suite's hostile organisation (rolled back when the package's last test ends)."""
    with rolled_back(session_app):
        ticket_cache.tickets.clear()
        yield build_world(session_app, hostile_cw)
        ticket_cache.tickets.clear()
