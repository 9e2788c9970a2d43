"""The simulator's deterministic demo data, matching `flask seed-demo` (PRODUCT §5).

Facts tests and the product rely on: boards 1 Service Board, 2 Change Management, 3 Help Desk
(Help Desk has no "Awaiting CAB"; every status the demo's settings name is on every service
board), 4 Projects (a project board); a status's id is board id × 100 + position (New 1, Change
Linked 2, Scheduled 3, In Progress 4, Resolved 5, Cancelled 6, >Closed 7, Awaiting CAB 9), so
the same name has a different id on every board.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from cw_simulator.refs import reference

CREDENTIALS = {"company_id": "demo", "public_key": "demopublickey", "private_key": "demoprivatekey"}
SEED_TIME = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)

DEMO_COMPANIES = [("AcmeMfg", "Acme Manufacturing"), ("BluewaterDental", "Bluewater Dental"),
                  ("Northwind", "Northwind Logistics")]
EXTRA_COMPANIES = [
    ("OBrienSons", "O'Brien \"Quoted\" & Sons (50% + more)*"), ("AcmeStar", "Acme*Star Holdings"),
    ("Contoso", "Contoso Ltd"), ("Fabrikam", "Fabrikam Inc"), ("Tailspin", "Tailspin Toys"),
    ("WideWorld", "Wide World Importers"), ("Litware", "Litware [Legal] Services"),
    ("Adatum", "Adatum 100% Solutions"), ("Proseware", "Proseware & Co"),
    ("Woodgrove", "Woodgrove Bank"),
]
DELETED_COMPANY = ("Defunct", "Acme Defunct Widgets")

BOARDS = [(1, "Service Board", False), (2, "Change Management", False), (3, "Help Desk", False),
          (4, "Projects", True)]
# (position, name, closedStatus, timeEntryNotAllowed)
STATUSES = [(1, "New", False, False), (2, "Change Linked", False, False), (3, "Scheduled", False, False),
            (4, "In Progress", False, False), (5, "Resolved", True, False),
            (6, "Cancelled", True, True), (7, ">Closed", True, False), (9, "Awaiting CAB", False, False)]
# Every status the demo's settings name exists on every service board; "Awaiting CAB" is the one
# a service board (Help Desk) lacks, for tests of a status name missing on a ticket's board.
MISSING_STATUSES = {3: {"Awaiting CAB"}, 4: {"Change Linked", "Scheduled", "Cancelled", "Awaiting CAB"}}

# (identifier, first, last, officeEmail, primaryEmail, inactive, licenseClass)
MEMBERS = [
    ("aadmin", "Ada", "Admin", "admin@demo.test", "admin@demo.test", False, "F"),
    ("mprice", "Morgan", "Price", "morgan.price@demo-msp.test", "morgan@demo-msp.test", False, "F"),
    ("eengineer", "Erin", "Engineer", "engineer@demo.test", "engineer@demo.test", False, "F"),
    ("ttech", "Tara", "Tech", "Tech.Approver@Demo.test", "tech.approver@demo.test", False, "F"),
    ("oops", "Olivia", "Ops", "olivia.ops@demo-msp.test", "ops.approver@demo.test", False, "F"),
    ("vcab1", "Val", "Cabot", "vcab1@demo.test", "vcab1@demo.test", False, "F"),
    ("vcab2", "Vera", "Cabrera", "vcab2@demo.test", "vcab2@demo.test", False, "F"),
    ("vcab3", "Vince", "Cable", "vcab3@demo.test", "vcab3@demo.test", False, "F"),
    ("fformer", "Frank", "Former", "vcab3@demo.test", "frank.former@demo-msp.test", True, "F"),
    ("changebreeze", "ChangeBreeze", "API", "admin@demo.test", "api@demo-msp.test", False, "A"),
]

# The API member's role is the simulator's security role (security.py); people get another one.
API_ROLE = {"id": 31, "name": "ChangeBreeze Integration"}
STAFF_ROLE = {"id": 1, "name": "Admin"}

PRIORITIES = [{"id": 1, "name": "Priority 1 - Critical"}, {"id": 2, "name": "Priority 2 - High"},
              {"id": 3, "name": "Priority 3 - Normal"}]
SCHEDULE_TYPES = [(1, "C", "Activity"), (2, "P", "Project"), (3, "M", "Meeting"), (4, "S", "Service")]
SCHEDULE_STATUSES = [(1, "Firm", True, False), (2, "Tentative", False, True)]
CONFIGURATION_TYPES = [(1, "Server"), (2, "Network Switch"), (3, "Workstation"), (4, "Firewall"), (5, "Printer")]
# hostname suffix -> configuration type id; every demo company gets these, prefixed
NAMED_DEVICES = [("dc01", 1), ("dc02", 1), ("fs01", 1), ("app01", 1), ("sw-core", 2), ("sw-01", 2),
                 ("fw01", 4), ("prn-01", 5)]
HOST_PREFIXES = {"AcmeMfg": "acme", "BluewaterDental": "bw", "Northwind": "nw"}

TICKET_SUMMARIES = [
    "Replace core switch {p}-sw-core", "Patch Windows servers {p}-dc01 and {p}-dc02",
    "Firewall firmware upgrade {p}-fw01", "Printer {p}-prn-01 offline in reception",
    "Migrate file shares from {p}-fs01", "New starter laptop setup", "VPN drops every hour",
    "Upgrade \"edge\" router & VPN (50% + more)*", "Quarterly backup restore test",
    "Renew SSL certificate for the portal",
]


def build_seed(seed: int = 1, scale: int = 200) -> dict:
    """All collections as plain dicts; the same `seed` and `scale` always give the same data."""
    rng = random.Random(seed)
    clock = _Clock()
    companies = _companies(clock)
    boards, statuses = _boards(clock)
    members = _members(clock)
    tickets, notes = _tickets(rng, clock, companies, boards, statuses)
    return {
        "credentials": dict(CREDENTIALS),
        "collections": {
            "companies": companies, "boards": boards, "statuses": statuses, "members": members,
            "tickets": tickets, "notes": notes,
            "schedule_types": [clock.stamp({"id": i, "identifier": ident, "name": name, "systemFlag": True})
                               for i, ident, name in SCHEDULE_TYPES],
            "schedule_statuses": [clock.stamp({"id": i, "name": name, "defaultFlag": default,
                                               "showAsTentativeFlag": tentative})
                                  for i, name, default, tentative in SCHEDULE_STATUSES],
            "configuration_types": [clock.stamp({"id": i, "name": name, "inactiveFlag": False, "systemFlag": False})
                                    for i, name in CONFIGURATION_TYPES],
            "configurations": _configurations(rng, clock, companies, scale),
            "schedule_entries": [], "time_entries": [],
        },
    }


class _Clock:
    """Deterministic `_info` stamps: each seeded record a minute after the previous one."""

    def __init__(self):
        self.moment = SEED_TIME

    def stamp(self, record: dict) -> dict:
        self.moment += timedelta(minutes=1)
        text = self.moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        record["_info"] = {"lastUpdated": text, "updatedBy": "seed", "dateEntered": text, "enteredBy": "seed"}
        return record


def _companies(clock):
    rows = [(ident, name, False) for ident, name in DEMO_COMPANIES + EXTRA_COMPANIES] + [(*DELETED_COMPANY, True)]
    return [clock.stamp({"id": 101 + i, "identifier": ident, "name": name, "deletedFlag": deleted,
                         "status": {"id": 1, "name": "Active"}})
            for i, (ident, name, deleted) in enumerate(rows)]


def _boards(clock):
    boards, statuses = [], []
    for board_id, name, project in BOARDS:
        board = clock.stamp({"id": board_id, "name": name, "inactiveFlag": False, "projectFlag": project,
                             "timeEntryLockedFlag": False})
        boards.append(board)
        for position, status_name, closed, no_time in STATUSES:
            if status_name in MISSING_STATUSES.get(board_id, ()):
                continue
            statuses.append(clock.stamp({
                "id": board_id * 100 + position, "name": status_name, "board": reference("boards", board),
                "sortOrder": position, "displayOnBoard": True, "inactive": False, "closedStatus": closed,
                "timeEntryNotAllowed": no_time, "defaultFlag": position == 1}))
    old = clock.stamp({"id": 108, "name": "Waiting Vendor (old)", "board": reference("boards", boards[0]),
                       "sortOrder": 8, "displayOnBoard": False, "inactive": True, "closedStatus": False,
                       "timeEntryNotAllowed": False, "defaultFlag": False})
    return boards, statuses + [old]


def _members(clock):
    return [clock.stamp({"id": 151 + i, "identifier": ident, "firstName": first, "lastName": last,
                         "officeEmail": office, "primaryEmail": primary, "inactiveFlag": inactive,
                         "licenseClass": license_class, "defaultEmail": "Office", "defaultPhone": "Office",
                         "securityRole": dict(API_ROLE if license_class == "A" else STAFF_ROLE)})
            for i, (ident, first, last, office, primary, inactive, license_class) in enumerate(MEMBERS)]


def _tickets(rng, clock, companies, boards, statuses):
    demo = companies[:3]
    service_boards = [b for b in boards if not b["projectFlag"]]
    by_board = {b["id"]: [s for s in statuses if s["board"]["id"] == b["id"] and not s["inactive"]]
                for b in service_boards}
    tickets, notes = [], []
    for n in range(50):
        company = demo[n % 3]
        board = service_boards[(n // 3) % 3]
        closed = n % 7 == 6
        status = next(s for s in by_board[board["id"]] if s["name"] == (">Closed" if closed else "New"))
        summary = TICKET_SUMMARIES[n % len(TICKET_SUMMARIES)].format(p=HOST_PREFIXES[company["identifier"]])
        ticket = clock.stamp({
            "id": 5001 + n, "summary": summary, "recordType": "ServiceTicket",
            "board": reference("boards", board), "status": reference("statuses", status),
            "company": reference("companies", company), "closedFlag": closed, "resources": "",
            "priority": dict(rng.choice(PRIORITIES)), "customerUpdatedFlag": False})
        tickets.append(ticket)
        notes.append(clock.stamp({
            "id": 9001 + n, "ticketId": ticket["id"], "text": f"Reported by the customer: {summary}.",
            "detailDescriptionFlag": True, "internalAnalysisFlag": False, "resolutionFlag": False,
            "issueFlag": False, "createdBy": "seed", "dateCreated": ticket["_info"]["dateEntered"]}))
    return tickets, notes


def _configurations(rng, clock, companies, scale):
    demo = companies[:3]
    types = {i: {"id": i, "name": name} for i, name in CONFIGURATION_TYPES}
    rows = []
    for company in demo:
        prefix = HOST_PREFIXES[company["identifier"]]
        rows += [(company, f"{prefix}-{suffix}", type_id) for suffix, type_id in NAMED_DEVICES]
    n = 0
    while len(rows) < scale:
        company = demo[n % 3]
        rows.append((company, f"{HOST_PREFIXES[company['identifier']]}-ws-{n // 3 + 1:03d}", 3))
        n += 1
    configurations = []
    for i, (company, name, type_id) in enumerate(rows[:scale]):
        active = i % 17 != 16
        configurations.append(clock.stamp({
            "id": 1001 + i, "name": name, "type": {**types[type_id]}, "company": reference("companies", company),
            "status": {"id": 1 if active else 2, "name": "Active" if active else "Inactive"},
            "activeFlag": active, "deviceIdentifier": name.upper(),
            "serialNumber": f"SN{rng.randrange(10**8):08d}",
            "ipAddress": f"10.{101 + demo.index(company)}.{i // 250 % 250}.{i % 250 + 1}",
            "osType": "Windows Server 2022" if type_id == 1 else "",
            "manufacturer": {"id": type_id, "name": ["Dell", "Cisco", "Lenovo", "Fortinet", "HP"][type_id - 1]},
        }))
    return configurations
