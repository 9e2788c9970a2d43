"""The change's generic linked ticket: stored values and the slot an integration fills."""
from cbcw.changes import ticket_slot
from cbcw.changes.fields import LinkedTicket


def _slot(page: str) -> str:
    start = page.index('id="linked-ticket"')
    return page[start:page.index("</section>", start)]


def test_slot_shows_the_stored_ticket_without_an_integration(client, login, engineer, new_change):
    """With no integration registered, the slot shows the ticket as the change remembers it."""
    change = new_change(ticket=LinkedTicket(4711, summary="Printer jams", board="Help Desk", status="New"))
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert "#4711" in slot and "Printer jams" in slot and "Help Desk" in slot and "New" in slot
    assert "hx-get" not in slot


def test_slot_without_a_ticket_says_so(client, login, engineer, new_change):
    """A change without a linked ticket says so in the slot."""
    change = new_change()
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert "No ticket linked." in slot and "hx-get" not in slot


def test_registered_integration_fills_the_slot_on_load(app, client, login, engineer, new_change,
                                                       monkeypatch):
    """An integration's registered endpoint is loaded into the slot with hx-get once the page shows."""
    monkeypatch.setattr(app, "extensions", dict(app.extensions))
    ticket_slot.register_widget(app, "changes.detail")  # any endpoint taking change_id will do
    change = new_change(ticket=LinkedTicket(4711, summary="Printer jams"))
    login(engineer)
    slot = _slot(client.get(f"/changes/{change.id}").get_data(as_text=True))
    assert f'hx-get="/changes/{change.id}"' in slot and 'hx-trigger="load"' in slot
    assert "Printer jams" in slot  # shown until the widget answers
