"""App, database and factory fixtures shared by every test."""
import itertools
import secrets
import socket

import pytest
from itsdangerous import URLSafeTimedSerializer

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.tickets import busy
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db as _db
from cbcw.organisations.models import Company, Organisation

pytest_plugins = ["tests.fixtures.database", "tests.fixtures.shared_database", "tests.fixtures.cw_simulator",
                  "tests.fixtures.demo", "tests.fixtures.trickle"]

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Fail any test that tries to reach a host other than this machine."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host in {"localhost", "::1"} or host.startswith("127.") or sock.family == socket.AF_UNIX
        ):
            raise RuntimeError(f"test tried to reach an outside host: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def _no_remembered_bookings():
    """Each test asks ConnectWise for the implementer's bookings afresh (the answers are kept per process,
    and every test's organisation and simulator may carry the same ids and address)."""
    busy.ANSWERS.clear()
    yield
    busy.ANSWERS.clear()


@pytest.fixture
def make_org(db):
    def make(name=None):
        org = Organisation(name=name or f"Org {next(_counter)}")
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def org(make_org):
    return make_org("Test MSP")


@pytest.fixture
def make_company(db, org):
    def make(name=None, organisation=None):
        company = Company(organisation_id=(organisation or org).id, name=name or f"Company {next(_counter)}")
        db.session.add(company)
        db.session.commit()
        return company

    return make


@pytest.fixture
def company(make_company):
    return make_company("Acme Manufacturing")


@pytest.fixture
def make_user(db, org):
    def make(role="engineer", organisation=None, email=None, vcab_member=False, active=True, **fields):
        n = next(_counter)
        user = User(
            organisation_id=(organisation or org).id,
            email=User.normalise_email(email or f"user{n}@example.test"),
            display_name=fields.pop("display_name", f"User {n}"),
            role=role,
            vcab_member=vcab_member,
            active=active,
            **fields,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin", display_name="Ada Admin")


@pytest.fixture
def engineer(make_user):
    return make_user("engineer", display_name="Erin Engineer")


@pytest.fixture
def viewer(make_user):
    return make_user("viewer", display_name="Vic Viewer")


@pytest.fixture
def make_device(db, org):
    def make(hostname, company=None, organisation=None, type_name="Server", **fields):
        org_id = (organisation or org).id
        device_type = db.session.scalar(
            _db.select(DeviceType).filter_by(organisation_id=org_id, name=type_name)
        ) or DeviceType(organisation_id=org_id, name=type_name)
        device = Device(
            organisation_id=org_id,
            company_id=company.id if company else None,
            device_type=device_type,
            hostname=hostname,
            **fields,
        )
        db.session.add(device)
        db.session.commit()
        return device

    return make


@pytest.fixture
def make_change(db, org, company, admin):
    """A change row written directly (bypassing the lifecycle), for view and access tests. A
    `linked_ticket_id` is a ConnectWise ticket's unless `linked_ticket_system` names another."""

    def make(organisation=None, created_by=None, **fields):
        organisation = organisation or org
        if fields.get("linked_ticket_id") is not None:
            fields.setdefault("linked_ticket_system", "connectwise")
        organisation.change_counter += 1
        change = Change(
            organisation_id=organisation.id,
            number=organisation.change_counter,
            title=fields.pop("title", f"Change {next(_counter)}"),
            company_id=fields.pop("company_id", company.id if organisation is org else None),
            created_by_id=(created_by or admin).id,
            **fields,
        )
        db.session.add(change)
        db.session.commit()
        return change

    return make


@pytest.fixture
def login(post):
    """Log a user in through the real login form."""

    def do_login(user, password=PASSWORD):
        response = post("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, "login failed"
        return user

    return do_login


@pytest.fixture
def csrf_token(client):
    """A valid CSRF token for the test client's session, made as Flask-WTF makes one."""

    def token():
        with client.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        serializer = URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    return token


@pytest.fixture
def post(client, csrf_token):
    """POST a form with a valid CSRF token, as the browser would."""

    def do_post(url, data=None, **kwargs):
        return client.post(url, data={**(data or {}), "csrf_token": csrf_token()}, **kwargs)

    return do_post


@pytest.fixture
def unused_port():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
