"""The demo organisation: companies, users of every role, devices and changes in several states.

Changes are driven through the real lifecycle, so their timelines read as they would in use.
"""
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.models import Change, TimelineEntry
from cbcw.connectwise.settings import mappings, members, statuses
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping
from cbcw.db import utcnow
from cbcw.demo import catalogue_seed
from cw_simulator.seed import build_seed
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation

DEMO_PASSWORD = "changebreeze"
DEMO_ORG_NAME = "Breeze IT Services (demo)"
COMPANIES = ("Acme Manufacturing", "Bluewater Dental", "Northwind Logistics")
DEVICE_TYPES = ("Server", "Network Switch", "Workstation", "Firewall")
USERS = (
    # email, name, role, vCAB member, timezone
    ("admin@demo.test", "Alex Admin", "admin", False, "Europe/London"),
    ("msp@demo.test", "Morgan Lee", "msp", False, "Europe/London"),
    ("engineer@demo.test", "Erin Engineer", "engineer", False, "Europe/London"),
    ("tech.approver@demo.test", "Theo Tanaka", "engineer", False, "Europe/London"),
    ("ops.approver@demo.test", "Olivia Ortiz", "engineer", False, "America/New_York"),
    ("vcab1@demo.test", "Priya Patel", "engineer", True, "Europe/London"),
    ("vcab2@demo.test", "Sam Okafor", "engineer", True, "Africa/Lagos"),
    ("vcab3@demo.test", "Jordan Kim", "engineer", True, "Australia/Sydney"),
    ("viewer@demo.test", "Vera Viewer", "viewer", False, "Europe/London"),
)
DEVICES = (
    # hostname, company, type, attributes
    ("acme-dc01", "Acme Manufacturing", "Server", {"os": "Windows Server 2022", "ip": "10.10.0.10"}),
    ("acme-sw-core", "Acme Manufacturing", "Network Switch", {"model": "Aruba 6300M", "ip": "10.10.0.2"}),
    ("acme-ws-015", "Acme Manufacturing", "Workstation", {"os": "Windows 11"}),
    ("bw-fw01", "Bluewater Dental", "Firewall", {"model": "FortiGate 60F", "ip": "192.168.50.1"}),
    ("bw-srv-pacs", "Bluewater Dental", "Server", {"os": "Ubuntu 22.04", "ip": "192.168.50.20"}),
    ("nw-fw-edge", "Northwind Logistics", "Firewall", {"model": "Palo Alto PA-440"}),
    ("nw-sql01", "Northwind Logistics", "Server", {"os": "Windows Server 2019", "role": "SQL Server"}),
)


def demo_organisation() -> Organisation | None:
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    return admin.organisation if admin else None


def seed_demo(now: datetime | None = None) -> Organisation:
    """Create the demo organisation and commit it; its history is written back from `now` (the clock
    by default)."""
    org = Organisation(name=DEMO_ORG_NAME)
    db.session.add(org)
    db.session.flush()
    companies = {name: Company(organisation_id=org.id, name=name) for name in COMPANIES}
    types = {name: DeviceType(organisation_id=org.id, name=name) for name in DEVICE_TYPES}
    db.session.add_all([*companies.values(), *types.values()])
    users = {}
    for email, name, role, vcab, tz in USERS:
        user = User(organisation_id=org.id, email=email, display_name=name, role=role, vcab_member=vcab, timezone=tz)
        user.set_password(DEMO_PASSWORD)
        users[email.split("@")[0]] = user
    users["tech.approver"].ecab_member = True  # the demo's emergency approver (PRODUCT §2.7)
    db.session.add_all(users.values())
    for hostname, company, type_name, attributes in DEVICES:
        db.session.add(Device(organisation_id=org.id, company=companies[company], device_type=types[type_name],
                              hostname=hostname, attributes=attributes))
    db.session.flush()
    # ConnectWise first, so the changes' events are recorded in the outbox as they happen.
    _configure_connectwise(org, companies, types)
    _seed_changes(org, companies, users, now or utcnow())
    db.session.commit()
    return org


# The simulator's seed (cw_simulator/seed.py): company ids, boards, type ids.
CW_COMPANIES = {"Acme Manufacturing": (101, "AcmeMfg"), "Bluewater Dental": (102, "BluewaterDental"),
                "Northwind Logistics": (103, "Northwind")}
CW_BOARD_FILTERS = {"Bluewater Dental": [(1, "Service Board"), (2, "Change Management")]}
CW_TYPE_MAPPINGS = {1: "Server", 2: "Network Switch", 3: "Workstation", 4: "Firewall", 5: None}
# Every status name below exists on each of the simulator's service boards, so the settings page
# shows no warning and a Help Desk ticket links cleanly; demo changes are linked to tickets on the
# Service Board and Change Management (their tickets stay put as the demo grows).
DEMO_TICKET_BOARDS = (1, 2)
CW_STATUS_NAMES = {"status_change_created": "Change Linked", "status_fully_approved": "Scheduled",
                   "status_change_scheduled": "In Progress", "status_change_completed": "Resolved",
                   "status_change_cancelled": "Cancelled"}


def _configure_connectwise(org, companies, types) -> None:
    """Point the demo organisation at the bundled simulator, with mappings and status names."""
    settings = mappings.get_settings(org.id)
    settings.enabled = True
    settings.base_url = current_app.config["CW_SIMULATOR_URL"]
    settings.cw_company_id, settings.public_key, settings.private_key = "demo", "demopublickey", "demoprivatekey"
    settings.auto_update_status = True
    for attr, name in CW_STATUS_NAMES.items():
        setattr(settings, attr, name)
    for company_name, (cw_id, identifier) in CW_COMPANIES.items():
        boards = CW_BOARD_FILTERS.get(company_name, [])
        db.session.add(CompanyMapping(
            organisation_id=org.id, company_id=companies[company_name].id, cw_company_id=cw_id,
            cw_company_identifier=identifier, cw_company_name=company_name,
            board_ids=[board_id for board_id, _ in boards], board_names=[name for _, name in boards]))
    for cw_type_id, type_name in CW_TYPE_MAPPINGS.items():
        db.session.add(ConfigurationTypeMapping(
            organisation_id=org.id, cw_type_id=cw_type_id, cw_type_name=type_name or "Printer",
            device_type_id=types[type_name].id if type_name else None))
    db.session.flush()


def point_at_simulator(org: Organisation) -> str:
    """Re-point an existing demo organisation at CW_SIMULATOR_URL (`make run SIM_PORT=…` moves it)."""
    settings = mappings.get_settings(org.id)
    settings.base_url = current_app.config["CW_SIMULATOR_URL"]
    db.session.commit()
    return settings.base_url


def check_demo_connectwise(org: Organisation) -> str:
    """Live checks against the running simulator: status names per board and member matches."""
    settings = mappings.get_settings(org.id)
    try:
        client = client_for(settings, interactive=False)
        settings.status_warnings = statuses.missing_statuses(settings, client)
        counts = members.refresh_matches(org.id, client)
    except ConnectWiseError as error:
        db.session.rollback()
        return f"ConnectWise simulator not reachable ({error}); run Refresh matches in settings later."
    db.session.commit()
    return f"Matched {counts['matched']} users to ConnectWise members; {len(settings.status_warnings)} status warning(s)."


def _seed_changes(org, companies, users, now: datetime) -> None:
    """The demo changes. Each was created on a day of its own before today (UTC), early enough that
    its history (hours long, a day for the cancellation) was over before today began, whatever the
    hour the demo is seeded at; the scheduled ones share next Saturday's late window."""
    admin, engineer = users["admin"], users["engineer"]
    tech, ops = users["tech.approver"], users["ops.approver"]
    vcab = [users["vcab1"], users["vcab2"], users["vcab3"]]
    today = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    soon = _next_saturday(today)

    def days_ago(days: int, hour: int) -> datetime:
        return today - timedelta(days=days) + timedelta(hours=hour)

    linked: set[int] = set()

    def new(title, company, creator=engineer, ticket_words="", **fields):
        ticket = demo_ticket(company, ticket_words, linked)
        linked.add(ticket.id)
        return operations.create_change(org.id, creator, ChangeFields(**{
            "title": title, "company_id": companies[company].id, "risk": "medium",
            "technical_approver_id": tech.id, "operational_approver_id": ops.id,
            "implementer_id": engineer.id, "requires_vcab": False, **fields,
        }), ticket=ticket)

    def approve_all(change):
        operations.submit(change, change.created_by)
        operations.approve(change, tech, "technical", "Plan and rollback look sound.")
        operations.approve(change, ops, "operational", "Agreed with the client's office manager.")
        if change.requires_vcab:
            for member in vcab[:2]:
                operations.approve(change, member, "vcab", "")

    switch = new("Upgrade core switch firmware", "Acme Manufacturing", ticket_words="core switch",
                 description="Upgrade @acme-sw-core to AOS-CX 10.13 to fix the LACP flapping bug.\n"
                             "Clients on @acme-ws-015 will lose connectivity briefly.",
                 implementation_plan="1. Back up config of @acme-sw-core\n2. Stage firmware\n3. Reboot in window",
                 rollback_plan="Boot the secondary image.", test_plan="Ping gateways; check LACP state.", risk="high")
    _backdate(switch, days_ago(1, 9))

    firewall = new("Replace Northwind edge firewall", "Northwind Logistics", creator=admin, requires_vcab=True,
                   ticket_words="firewall",
                   description="Swap @nw-fw-edge for the new PA-440 pair; @nw-vpn-gw is out of scope.",
                   reason="End of support", risk="high")
    operations.submit(firewall, admin)
    operations.approve(firewall, tech, "technical", "Config reviewed line by line.")
    _backdate(firewall, days_ago(3, 10))

    patching = new("Monthly patching: Acme domain controller", "Acme Manufacturing", ticket_words="patch",
                   description="Install the monthly cumulative update on @acme-dc01.", risk="low")
    approve_all(patching)
    operations.schedule(patching, engineer, soon, soon + timedelta(hours=2), engineer.id)
    _backdate(patching, days_ago(4, 8))

    # Overlaps the patching window on @acme-dc01: both changes show a schedule conflict (PRODUCT §2.5).
    ups = new("Replace the UPS in the Acme server room", "Acme Manufacturing",
              description="Power down @acme-dc01 while the UPS is swapped.", risk="medium")
    approve_all(ups)
    operations.schedule(ups, engineer, soon + timedelta(hours=1), soon + timedelta(hours=3), engineer.id)
    _backdate(ups, days_ago(2, 11))

    pacs = new("Expand PACS server storage", "Bluewater Dental",
               description="Add a 2 TB volume to @bw-srv-pacs and extend the imaging share.",
               implementation_plan="Attach disk, extend LVM, resize filesystem.",
               rollback_plan="Detach the new volume; no data moves.")
    approve_all(pacs)
    operations.schedule(pacs, engineer, soon, soon + timedelta(hours=2), engineer.id)
    _backdate(pacs, days_ago(6, 9))

    sql = new("SQL Server cumulative update", "Northwind Logistics", ticket_words="patch",
              description="Apply CU14 to @nw-sql01.", risk="medium")
    approve_all(sql)
    start = days_ago(14, 21)
    operations.schedule(sql, engineer, start, start + timedelta(hours=1), engineer.id)
    operations.start_implementation(sql, engineer)
    operations.complete(sql, engineer, "CU14 installed; services restarted.", "App login and nightly job verified.")
    _backdate(sql, start - timedelta(days=5))

    # PRODUCT §2.7: a standard change from an approved template, approved on submit, for the
    # new user to schedule.
    version = catalogue_seed.approved_template(org, users["msp"], admin, companies["Bluewater Dental"])
    standard = new(ticket_words="backup", **catalogue_seed.standard_change_fields(version, "Bluewater Dental"))
    operations.submit(standard, engineer)
    _backdate(standard, days_ago(5, 10))

    fw_rule = new("Open RDP to reception PC", "Bluewater Dental", ticket_words="vpn",
                  description="Requested by the client.")
    operations.cancel(fw_rule, admin, "Replaced by the VPN rollout; direct RDP is against policy.")
    _backdate(fw_rule, days_ago(10, 14))


# How long after the previous step each kind of timeline entry happens, in the demo's history.
STEP_GAPS = {
    "submitted": timedelta(hours=2), "approved": timedelta(hours=3), "fully_approved": timedelta(0),
    "scheduled": timedelta(hours=1), "rescheduled": timedelta(hours=1), "cancelled": timedelta(days=1),
    "comment": timedelta(hours=1), "updated": timedelta(minutes=30),
}


def _backdate(change: Change, created: datetime) -> None:
    """Spread what the lifecycle just wrote (all stamped "now") over the days since `created`.

    Steps keep their order and gaps of hours; implementation starts five minutes into the window
    and completes ten minutes before its end, so the story reads as it would have happened.
    """
    db.session.flush()
    entries = list(db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.change_id == change.id).order_by(TimelineEntry.id)))
    decisions = {(a.approver_id, a.kind): a for a in change.approvals}
    at = created
    for entry in entries:
        if entry.kind == "started":
            at = change.window_start + timedelta(minutes=5)
            change.actual_start_at = at
            entry.details = {**entry.details, "started_at": at.isoformat()}
        elif entry.kind in ("completed", "failed"):
            at = change.window_end - timedelta(minutes=10)
            change.actual_end_at = at
        else:
            at += STEP_GAPS.get(entry.kind, timedelta(0))
        entry.created_at = at
        if entry.kind == "approved":
            decisions[(entry.actor_id, entry.details["kind"])].decided_at = at
    for link in change.devices:
        link.created_at = created
    change.created_at, change.updated_at = created, at
    db.session.flush()


def demo_ticket(company: str, words: str, taken: set[int]) -> LinkedTicket:
    """An open simulator ticket of the company's ConnectWise company, on its filtered boards (or the demo's
    ticket boards), whose
    summary holds `words` (else any such ticket), not linked to another demo change yet.

    Read from the simulator's own seed data, so seeding needs no running simulator and the widget
    shows a live ticket as soon as the demo opens.
    """
    cw_company_id = CW_COMPANIES[company][0]
    boards = [board_id for board_id, _ in CW_BOARD_FILTERS.get(company, [])] or DEMO_TICKET_BOARDS
    candidates = [t for t in build_seed()["collections"]["tickets"]
                  if t["company"]["id"] == cw_company_id and not t["closedFlag"] and t["id"] not in taken
                  and t["board"]["id"] in boards]
    fitting = [t for t in candidates if words.lower() in t["summary"].lower()] or candidates
    ticket = min(fitting, key=lambda t: t["id"])
    return LinkedTicket(ticket["id"], ticket["summary"], ticket["board"]["name"], ticket["status"]["name"],
                        system=TICKET_SYSTEM)


def _next_saturday(today: datetime) -> datetime:
    """22:00 UTC on the first Saturday after `today` (a week on, when today is a Saturday)."""
    return today.replace(hour=22) + timedelta(days=(5 - today.weekday()) % 7 or 7)
