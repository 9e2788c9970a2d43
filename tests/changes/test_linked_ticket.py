"""The change's generic linked ticket: stored values and the slot its ticket system fills."""
import pytest

from cbcw.changes import operations
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import LinkedTicket
from cbcw.changes.unit_of_work import apply
from cbcw.integrations import registry
from cbcw.integrations.spec import Integration
from tests.integrations.fake import FakeTickets


def _slot(page: str) -> str:
    start = page.index('id="linked-ticket"')
    return page[start:page.index("</section>", start)]


@pytest.fixture
def without_integration(app, monkeypatch):
    """The app as if INTEGRATIONS named none."""
    monkeypatch.setitem(app.extensions, registry.EXTENSION, registry.Registry(()))


@pytest.mark.parametrize("system", ["psa", None])
def test_slot_shows_the_stored_ticket_without_its_system(client, login, engineer, new_change, without_integration,
                                                         system):
    """With the change's ticket system not loaded (or none recorded), the slot shows the ticket as
    the change remembers it."""
    change = new_change(ticket=LinkedTicket(4711, summary="Printer jams", board="Help Desk", status="New",
                                            system=system))
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert "#4711" in slot and "Printer jams" in slot and "Help Desk" in slot and "New" in slot
    assert "hx-get" not in slot


def test_slot_without_a_ticket_says_so(client, login, engineer, new_change, without_integration):
    """A change without a linked ticket says so in the slot."""
    change = new_change()
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert "No ticket linked." in slot and "hx-get" not in slot


def test_the_ticket_system_of_the_change_fills_the_slot_on_load(app, client, login, engineer, new_change,
                                                                monkeypatch):
    """The widget endpoint of the change's ticket system is loaded into the slot with hx-get once the
    page shows, whether or not the organisation still uses that system."""
    tickets = FakeTickets(key="psa", widget_endpoint="changes.detail")  # any endpoint taking change_id will do
    monkeypatch.setitem(app.extensions, registry.EXTENSION,
                        registry.Registry((Integration(name="psa", ticket_system=tickets),)))
    change = new_change(ticket=LinkedTicket(4711, summary="Printer jams", system="psa"))
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert f'hx-get="/changes/{change.id}"' in slot and 'hx-trigger="load"' in slot
    assert "Printer jams" in slot and "Loading the live ticket from Fake PSA" in slot  # until the widget answers


def test_form_has_no_ticket_field_and_refuses_a_ticket_without_an_integration(client, login, engineer, post,
                                                                             company, without_integration, db):
    """Without a ticket system the form shows no ticket field, and a posted ticket is refused."""
    from cbcw.changes.models import Change
    login(engineer)
    assert "linked_ticket_query" not in client.get("/changes/new").get_data(as_text=True)
    response = post("/changes/new", {"title": "T", "company_id": str(company.id), "risk": "low",
                                     "linked_ticket_id": "4711"})
    assert "No ticketing integration is set up" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Change)) == 0


def test_ticket_link_can_change_until_the_change_is_over(new_change, in_progress_change, people, engineer):
    """The linked ticket may change in any state but completed and cancelled."""
    running = in_progress_change()
    apply(operations.link_ticket, running, engineer, ticket=LinkedTicket(11))
    assert running.linked_ticket_id == 11
    apply(operations.complete, running, people.implementer, completion_notes="done", test_results="ok")
    cancelled = new_change(ticket=LinkedTicket(12))
    apply(operations.cancel, cancelled, engineer, reason="not needed")
    for change, kept in ((running, 11), (cancelled, 12)):
        with pytest.raises(LifecycleError, match="change the linked ticket"):
            apply(operations.link_ticket, change, engineer, ticket=None)
        assert change.linked_ticket_id == kept


@pytest.mark.parametrize("typed", ["\u00b2\u00b3", "\u0661\u0662", "\u2460", "12\u00b2"])
def test_typed_ticket_number_is_ascii_digits_only(typed):
    """A typed ticket "number" of digits int() cannot read (superscripts, circled) or of another
    script is not a number, not a ValueError (a 500 on the change form)."""
    from cbcw.changes.ticket_choice import _typed_number

    assert _typed_number(typed) is None
