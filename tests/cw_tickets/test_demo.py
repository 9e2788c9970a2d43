"""`seed-demo` links every demo change to an open simulator ticket of its company, so the widget is live at once."""
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.settings.models import CompanyMapping


def test_every_demo_change_links_its_own_open_ticket_of_its_company(db, seeded_demo, seed_tickets):
    """Each demo change has a distinct open ticket of its mapped CW company, on an allowed board,
    with the summary, board and status the simulator holds."""
    org = seeded_demo
    tickets = {t["id"]: t for t in seed_tickets}
    mappings = {m.company_id: m for m in db.session.scalars(
        select(CompanyMapping).where(CompanyMapping.organisation_id == org.id))}
    changes = db.session.scalars(select(Change).where(Change.organisation_id == org.id)).all()
    assert changes and len({c.linked_ticket_id for c in changes}) == len(changes)
    for change in changes:
        ticket, mapping = tickets[change.linked_ticket_id], mappings[change.company_id]
        assert ticket["company"]["id"] == mapping.cw_company_id and not ticket["closedFlag"]
        assert not mapping.board_ids or ticket["board"]["id"] in mapping.board_ids
        assert ticket["board"]["name"] != "Help Desk"  # demo changes stay on the Service Board and Change Management
        assert (change.linked_ticket_summary, change.linked_ticket_board, change.linked_ticket_status) == (
            ticket["summary"], ticket["board"]["name"], ticket["status"]["name"])
