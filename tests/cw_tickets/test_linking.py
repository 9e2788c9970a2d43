"""Linking a change to a ConnectWise ticket through the pages (PRODUCT §3.5): typeahead, save, re-check."""
import pytest
from sqlalchemy import select

from cbcw.changes import signals
from cbcw.changes.models import Change, TimelineEntry
from tests.cw_tickets.conftest import ACME_CW_ID, NORTHWIND_CW_ID, open_ticket_of


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def acme(map_company, company):
    return map_company(company, ACME_CW_ID)


@pytest.fixture
def editor(login, engineer):
    return login(engineer)


@pytest.fixture
def linked_signals():
    """Every ticket_linked signal sent during the test, as its keyword arguments."""
    received = []

    def receive(sender, **kwargs):
        received.append(kwargs)

    signals.ticket_linked.connect(receive)
    yield received
    signals.ticket_linked.disconnect(receive)


def new_change_form(company, **extra):
    return {"title": "Replace core switch", "company_id": str(company.id), "risk": "low", **extra}


def created(db) -> Change:
    db.session.expire_all()
    return db.session.scalar(select(Change).order_by(Change.id.desc()))


def test_typeahead_lists_the_companys_open_tickets(client, cw_settings, acme, editor, company, seed_tickets):
    """The search partial lists number, summary, board and status of matching tickets only."""
    response = client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=switch",
                          headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200 and "<html" not in body
    wanted = [t for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and not t["closedFlag"]
              and "switch" in t["summary"].lower()]
    assert wanted
    for ticket in wanted:
        assert f'data-ticket-id="{ticket["id"]}"' in body
        assert ticket["board"]["name"] in body and ticket["status"]["name"] in body
    assert body.count('role="option"') == len(wanted)


def test_typeahead_blank_query_is_an_empty_answer(client, cw_settings, cw_sim, acme, editor, company):
    """A blank query answers an empty partial with 200 and asks ConnectWise nothing."""
    response = client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=+",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200 and text(response).strip() == ""
    assert cw_sim.journal() == []


def test_typeahead_says_when_connectwise_is_down(client, cw_settings, cw_sim, acme, editor, company):
    """ConnectWise failing shows a message in the suggestions, not a 500."""
    cw_sim.faults(error_count=5, error_status=503)
    response = client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=switch",
                          headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Could not search ConnectWise" in text(response)


def test_field_is_disabled_for_an_unmapped_company(client, cw_settings, editor, make_company):
    """Without a mapped ConnectWise company the field is disabled and says why."""
    unmapped = make_company("Unmapped Ltd")
    response = client.get(f"/connectwise/ticket-field?company_id={unmapped.id}", headers={"HX-Request": "true"})
    body = text(response)
    assert 'id="linked_ticket_query" disabled' in body
    assert "Unmapped Ltd is not mapped to a ConnectWise company" in body


def test_form_field_follows_the_company(client, cw_settings, editor, acme, make_change, engineer, company):
    """The new-change form's ticket field waits for a company; a draft of a mapped company gets the
    debounced typeahead (latest answer wins), re-drawn whenever the company select changes."""
    body = text(client.get("/changes/new"))
    assert 'data-ticket-picker' in body and 'hx-trigger="change from:#company_id"' in body
    assert "Choose the company first" in body
    body = text(client.get(f"/changes/{make_change(created_by=engineer).id}/edit"))
    assert f'hx-get="/connectwise/companies/{company.id}/tickets"' in body
    assert 'hx-sync="this:replace"' in body and 'delay:300ms' in body and 'hx-indicator="#ticket-spinner"' in body


def test_chosen_ticket_is_linked_on_save(client, post, db, cw_settings, acme, editor, company, seed_tickets,
                                         linked_signals):
    """Saving with a chosen ticket links it with ConnectWise's summary, board and status, and says so."""
    ticket = open_ticket_of(seed_tickets, ACME_CW_ID)
    response = post("/changes/new", new_change_form(company, linked_ticket_id=str(ticket["id"]),
                                                     linked_ticket_label="whatever the browser sent"))
    assert response.status_code == 302
    change = created(db)
    assert (change.linked_ticket_id, change.linked_ticket_summary, change.linked_ticket_board,
            change.linked_ticket_status) == (ticket["id"], ticket["summary"], ticket["board"]["name"],
                                             ticket["status"]["name"])
    assert [(s["ticket_id"], s["previous_ticket_id"]) for s in linked_signals] == [(ticket["id"], None)]


def test_a_ticket_picked_from_the_typeahead_is_saved_without_asking_connectwise_again(
        client, post, db, cw_settings, cw_sim, acme, editor, company, seed_tickets):
    """The typeahead has just shown the ticket: saving checks that copy, so the user's save does
    not wait on ConnectWise (PRODUCT §3.8); the ticket is linked with what the typeahead showed."""
    ticket = open_ticket_of(seed_tickets, ACME_CW_ID)
    client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=%23{ticket['id']}",
               headers={"HX-Request": "true"})
    cw_sim.clear_journal()
    assert post("/changes/new", new_change_form(company, linked_ticket_id=str(ticket["id"]))).status_code == 302
    assert created(db).linked_ticket_summary == ticket["summary"]
    assert cw_sim.journal() == []


def test_a_typed_number_links_without_javascript(client, post, db, cw_settings, acme, editor, company, seed_tickets):
    """Without JavaScript, typing the ticket number and saving links it."""
    ticket = open_ticket_of(seed_tickets, ACME_CW_ID)
    assert post("/changes/new", new_change_form(company, linked_ticket_query=f"#{ticket['id']}")).status_code == 302
    assert created(db).linked_ticket_id == ticket["id"]


def test_leftover_words_are_refused(client, post, db, cw_settings, acme, editor, company):
    """Words typed but no ticket picked: the form asks to pick one instead of silently dropping them."""
    response = post("/changes/new", new_change_form(company, linked_ticket_query="core switch"))
    assert response.status_code == 200 and "Pick a ticket from the suggestions" in text(response)
    assert created(db) is None


@pytest.mark.parametrize("case", ["other company", "other board", "closed", "unknown"])
def test_a_crafted_post_cannot_link_a_foreign_ticket(client, post, db, cw_settings, map_company, editor, company,
                                                     seed_tickets, case):
    """The server re-checks the ticket on save: another company's, another board's, a closed or an
    unknown ticket is refused with a message, and nothing is saved."""
    map_company(company, ACME_CW_ID, board_ids=[1])
    ticket_id = {
        "other company": lambda: open_ticket_of(seed_tickets, NORTHWIND_CW_ID)["id"],
        "other board": lambda: open_ticket_of(seed_tickets, ACME_CW_ID, [2])["id"],
        "closed": lambda: next(t["id"] for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and t["closedFlag"]),
        "unknown": lambda: 999999,
    }[case]()
    response = post("/changes/new", new_change_form(company, linked_ticket_id=str(ticket_id)))
    assert response.status_code == 200
    assert f"#{ticket_id}" in text(response)
    assert created(db) is None


def test_connectwise_down_at_save_keeps_the_other_edits(client, post, db, cw_settings, cw_sim, acme, editor, company,
                                                        seed_tickets, make_change, engineer):
    """ConnectWise down while saving a new link: a clear message, the typed edits still in the form,
    and nothing half-saved."""
    change = make_change(created_by=engineer, title="Old title")
    ticket = open_ticket_of(seed_tickets, ACME_CW_ID)
    cw_sim.faults(error_count=10, error_status=503)
    response = post(f"/changes/{change.id}/edit", new_change_form(company, title="My careful new title",
                                                                  linked_ticket_id=str(ticket["id"])))
    body = text(response)
    assert response.status_code == 200
    assert "could not be checked because ConnectWise did not answer" in body
    assert 'value="My careful new title"' in body and f'value="{ticket["id"]}"' in body
    db.session.expire_all()
    assert (db.session.get(Change, change.id).title, db.session.get(Change, change.id).linked_ticket_id) == ("Old title", None)


def test_other_edits_need_no_connectwise_when_the_ticket_is_unchanged(client, post, db, cw_settings, cw_sim, acme,
                                                                      editor, company, make_change, engineer):
    """Editing a linked draft without touching its ticket saves even with ConnectWise down."""
    change = make_change(created_by=engineer, linked_ticket_id=5004, linked_ticket_summary="Printer")
    cw_sim.faults(error_count=10, error_status=503)
    response = post(f"/changes/{change.id}/edit", new_change_form(company, title="Renamed",
                                                                  linked_ticket_id="5004"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Change, change.id).title == "Renamed"


def test_ticket_can_be_changed_and_removed_after_draft(client, post, db, cw_settings, acme, editor, company,
                                                       seed_tickets, make_change, engineer, linked_signals):
    """On a scheduled change the link page changes the ticket (ticket_linked names the previous one)
    and removes it."""
    first, second = sorted((t for t in seed_tickets if t["company"]["id"] == ACME_CW_ID and not t["closedFlag"]),
                           key=lambda t: t["id"])[:2]
    change = make_change(created_by=engineer, state="scheduled", linked_ticket_id=first["id"])
    url = f"/changes/{change.id}/connectwise-ticket/link"
    assert "Save ticket" in text(client.get(url))
    assert post(url, {"linked_ticket_id": str(second["id"])}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Change, change.id).linked_ticket_id == second["id"]
    assert [(s["ticket_id"], s["previous_ticket_id"]) for s in linked_signals] == [(second["id"], first["id"])]
    assert post(url, {"linked_ticket_id": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Change, change.id).linked_ticket_id is None
    kinds = db.session.scalars(select(TimelineEntry.kind).where(TimelineEntry.change_id == change.id)).all()
    assert "ticket_linked" in kinds and "ticket_unlinked" in kinds


@pytest.mark.parametrize("state", ["completed", "cancelled"])
def test_ticket_is_fixed_once_the_change_is_closed(client, post, db, cw_settings, acme, editor, make_change,
                                                   engineer, seed_tickets, state):
    """A completed or cancelled change keeps its ticket: the link page refuses and changes nothing."""
    change = make_change(created_by=engineer, state=state, linked_ticket_id=5004)
    url = f"/changes/{change.id}/connectwise-ticket/link"
    response = post(url, {"linked_ticket_id": str(open_ticket_of(seed_tickets, ACME_CW_ID)["id"])})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Change, change.id).linked_ticket_id == 5004
    assert post(f"/changes/{change.id}/connectwise-ticket/unlink").status_code == 302
    db.session.expire_all()
    assert db.session.get(Change, change.id).linked_ticket_id == 5004


def test_viewers_cannot_search_or_link(client, cw_settings, acme, login, viewer, company, make_change, post):
    """Viewers get 403 on the typeahead and the link page."""
    login(viewer)
    change = make_change()
    assert client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=x").status_code == 403
    assert post(f"/changes/{change.id}/connectwise-ticket/link", {"linked_ticket_id": "5004"}).status_code == 403


def test_typeahead_runs_one_statement_per_keystroke(client, db, cw_settings, acme, editor, company):
    """Per query the typeahead reads one settings-and-mapping row (besides the logged-in user): nothing else."""
    from sqlalchemy import event
    statements = []
    client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=switch", headers={"HX-Request": "true"})
    listener = lambda *args, **kwargs: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query=patch",
                   headers={"HX-Request": "true"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    ours = [s for s in statements if "FROM users" not in s]
    assert len(ours) == 1 and "cw_company_mappings" in ours[0], ours



def test_keystrokes_reuse_the_organisations_client(client, cw_settings, acme, editor, company, monkeypatch):
    """Three queries build the organisation's ConnectWise transport (Session, keys) once, not per keystroke."""
    from cbcw.connectwise.settings import connection
    from cbcw.connectwise.api.kept import KeptTransports
    built, kept = [], KeptTransports()
    build = connection._transport
    monkeypatch.setattr(connection, "_transport", lambda *args: built.append(args) or build(*args))
    monkeypatch.setitem(client.application.extensions, "cw_transports", kept)
    try:
        for word in ("switch", "patch", "printer"):
            response = client.get(f"/connectwise/companies/{company.id}/tickets?linked_ticket_query={word}",
                                  headers={"HX-Request": "true"})
            assert 'role="option"' in text(response)
    finally:
        kept.close()
    assert len(built) == 1
