"""An organisation wired to the live simulator, people who are (or are not) ConnectWise members,
and helpers to read what reached the simulator."""
from datetime import datetime, timedelta, timezone

import pytest

from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.unit_of_work import apply
from cbcw.connectwise.automation import status_cache
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.extensions import db as _db
from cbcw.organisations.models import Company, Organisation
from tests.fixtures.cw_simulator import point_at_simulator

TICKET = 5001  # on the simulator's board 1 "Service Board": status id = 100 + position
HELP_DESK_TICKET = 5007  # board 3 "Help Desk", which has no "Awaiting CAB" status
MISSING_ON_HELP_DESK = "Awaiting CAB"
WINDOW_START = datetime(2030, 5, 1, 22, 0, tzinfo=timezone.utc)
WINDOW_END = WINDOW_START + timedelta(hours=2)
STATUS_NAMES = {"status_change_created": "Change Linked", "status_fully_approved": "Scheduled",
                "status_change_scheduled": "In Progress", "status_change_completed": "Resolved",
                "status_change_cancelled": "Cancelled"}
# The simulator's members (cw_simulator/seed.py): id by identifier.
MEMBER_IDS = {"aadmin": 151, "eengineer": 153, "ttech": 154, "oops": 155, "vcab1": 156, "vcab2": 157, "vcab3": 158}


@pytest.fixture(autouse=True)
def _fresh_caches():
    status_cache.clear()
    yield
    status_cache.clear()


@pytest.fixture
def cw_org(db, org, cw_sim):
    """The organisation's ConnectWise settings: on, pointing at the simulator, Auto-Update with names."""
    settings = get_settings(org.id)
    point_at_simulator(settings, cw_sim)
    settings.auto_update_status = True
    for attr, name in STATUS_NAMES.items():
        setattr(settings, attr, name)
    db.session.commit()
    return settings


@pytest.fixture
def created_status_missing_on_help_desk(db, cw_org):
    """"Change Created" names a status the Help Desk board lacks (the others have it)."""
    cw_org.status_change_created = MISSING_ON_HELP_DESK
    db.session.commit()
    return MISSING_ON_HELP_DESK


@pytest.fixture
def cast(make_user):
    """Users whose emails match simulator members, plus one who is not in ConnectWise."""

    class Cast:
        creator = make_user("engineer", email="engineer@demo.test", display_name="Erin Engineer")
        technical = make_user("engineer", email="tech.approver@demo.test", display_name="Theo Tanaka")
        operational = make_user("engineer", email="ops.approver@demo.test", display_name="Olivia Ortiz")
        vcab = [make_user("engineer", email=f"vcab{n}@demo.test", display_name=f"Vcab {n}", vcab_member=True)
                for n in (1, 2, 3)]
        outsider = make_user("engineer", email="nobody@example.test", display_name="Nora Nobody")

    return Cast


@pytest.fixture
def linked(db, org, company, cast, cw_org):
    """A draft change created by the cast's creator and linked to a simulator ticket, committed."""

    def make(ticket=TICKET, **fields):
        change = operations.create_change(org.id, cast.creator, ChangeFields(**{
            "title": "Patch the file server", "company_id": company.id, "risk": "medium",
            "description": "Monthly patching", "implementation_plan": "1. Snapshot\n2. Patch\n3. Reboot",
            "technical_approver_id": cast.technical.id, "operational_approver_id": cast.operational.id,
            "implementer_id": cast.creator.id, **fields}), ticket=LinkedTicket(ticket, system=TICKET_SYSTEM))
        db.session.commit()
        return change

    return make


@pytest.fixture
def drive(db, cast):
    """Move a change along its lifecycle as the cast would."""

    class Drive:
        @staticmethod
        def approve(change):
            apply(operations.submit, change, cast.creator)
            apply(operations.approve, change, cast.technical, kind="technical", comment="Looks sound")
            apply(operations.approve, change, cast.operational, kind="operational")

        @staticmethod
        def schedule(change, start=WINDOW_START, end=WINDOW_END):
            apply(operations.schedule, change, cast.creator, window_start=start, window_end=end,
                            implementer_id=cast.creator.id)

    return Drive


def writes(cw_sim) -> list[dict]:
    """The simulator's journal without reads: every write that reached ConnectWise, in order."""
    return [e for e in cw_sim.journal() if e["method"] != "GET"]


def outbox(db, change) -> list[OutboxWrite]:
    return db.session.scalars(db.select(OutboxWrite).filter_by(change_id=change.id).order_by(OutboxWrite.id)).all()


def deliver_all():
    return deliver(budget=30, wait=False)


def committed_outbox(shared_app, cw_sim, tickets, cancel=True) -> int:
    """In the shared database (real commits): an organisation on the simulator with one change per
    ticket, created (and cancelled, unless told not to) in one transaction; returns how many
    writes that queued."""
    with shared_app.app_context():
        org = Organisation(name="Race MSP")
        _db.session.add(org)
        _db.session.flush()
        company = Company(organisation_id=org.id, name="Acme")
        people = [User(organisation_id=org.id, email=email, display_name=email.split("@")[0], role="engineer")
                  for email in ("engineer@demo.test", "tech.approver@demo.test", "ops.approver@demo.test")]
        for person in people:
            person.set_password("x" * 12)
        _db.session.add_all([company, *people])
        point_at_simulator(get_settings(org.id), cw_sim)
        _db.session.flush()
        for ticket in tickets:
            change = operations.create_change(org.id, people[0], ChangeFields(**{
                "title": f"Change on {ticket}", "company_id": company.id,
                "technical_approver_id": people[1].id, "operational_approver_id": people[2].id}),
                ticket=LinkedTicket(ticket, system=TICKET_SYSTEM))
            _db.session.flush()
            if cancel:
                operations.cancel(change, people[0], "Not needed")
        _db.session.commit()
        pending = _db.session.scalar(_db.select(_db.func.count()).select_from(OutboxWrite))
        _db.session.remove()
    return pending
