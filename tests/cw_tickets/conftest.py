"""Fixtures for the ticket field, widget and time entry: the organisation set up against the simulator."""
import pytest

from cbcw.connectwise.tickets import cache as ticket_cache, search
from cbcw.connectwise.settings.models import CompanyMapping, MemberMatch
from cw_simulator.seed import build_seed
from tests.cw_settings.conftest import cw_settings  # noqa: F401  (the settings pointing at the simulator)

ACME_CW_ID, NORTHWIND_CW_ID = 101, 103


@pytest.fixture(autouse=True)
def _empty_ticket_cache():
    """Each test starts without cached tickets (the caches are per process)."""
    ticket_cache.tickets.clear()
    search.recently_offered.clear()
    yield
    ticket_cache.tickets.clear()
    search.recently_offered.clear()


@pytest.fixture
def seed_tickets():
    """The simulator's seeded tickets, to compute what a search should return."""
    return build_seed()["collections"]["tickets"]


@pytest.fixture
def map_company(db, org):
    """Map a ChangeBreeze company to a simulator company, optionally with a board filter."""

    def make(company, cw_company_id=ACME_CW_ID, board_ids=()):
        names = {1: "Service Board", 2: "Change Management", 3: "Help Desk"}
        mapping = CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=cw_company_id,
                                 cw_company_identifier=f"cw{cw_company_id}", cw_company_name=f"CW company {cw_company_id}",
                                 board_ids=list(board_ids), board_names=[names[b] for b in board_ids])
        db.session.add(mapping)
        db.session.commit()
        return mapping

    return make


@pytest.fixture
def match_member(db, org):
    """Match a user to a simulator member (ids as seeded: 153 is eengineer)."""

    def make(user, member_id=153, identifier="eengineer"):
        match = MemberMatch(organisation_id=org.id, user_id=user.id, cw_member_id=member_id,
                            cw_member_identifier=identifier, cw_member_name=f"Member {identifier}", method="auto")
        db.session.add(match)
        db.session.commit()
        return match

    return make


def open_ticket_of(seed_tickets, cw_company_id, board_ids=None):
    """The newest open seeded ticket of that company (on those boards)."""
    return max((t for t in seed_tickets if t["company"]["id"] == cw_company_id and not t["closedFlag"]
                and (not board_ids or t["board"]["id"] in board_ids)), key=lambda t: t["id"])
