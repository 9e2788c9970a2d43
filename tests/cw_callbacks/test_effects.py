"""What a verified callback does once the background job acts on it (PRODUCT §3.11): the linked
ticket's stored status and every worker's widget refresh; its fate (closed, merged, moved,
deleted) is flagged on the open change, on the drift page and in the timeline, once; a
configuration of a mapped type and company updates its device; anything else is ignored."""
import pytest

from cbcw.changes.models import TimelineEntry
from cbcw.connectwise.callbacks.models import ReceivedCallback, TicketAlert
from cbcw.connectwise.callbacks.processing import process_due
from cbcw.devices.models import Device
from tests.cw_callbacks.conftest import ACME_CW_ID, open_ticket_of

HTMX = {"HX-Request": "true"}


def callback(db, org, type_, entity_id, action="updated", digest=None):
    db.session.add(ReceivedCallback(organisation_id=org.id, digest=digest or f"{type_}-{entity_id}-{action}",
                                    entity_type=type_, action=action, entity_id=entity_id))
    db.session.commit()


def status_id(cw_sim, name, board):
    return next(s["id"] for s in cw_sim.raw("GET", f"/service/boards/{board}/statuses").json() if s["name"] == name)


def patch_ticket(cw_sim, ticket_id, *operations):
    cw_sim.raw("PATCH", f"/service/tickets/{ticket_id}", json=list(operations)).raise_for_status()


@pytest.fixture
def ticket(seed_tickets):
    return open_ticket_of(seed_tickets, ACME_CW_ID)


@pytest.fixture
def linked(make_change, engineer, ticket, map_company, company, cw_settings):
    map_company(company, ACME_CW_ID)
    return make_change(created_by=engineer, linked_ticket_id=ticket["id"], linked_ticket_status="New",
                       linked_ticket_summary=ticket["summary"], linked_ticket_board=ticket["board"]["name"])


def timeline(db, change):
    return [e.message for e in db.session.scalars(db.select(TimelineEntry).where(
        TimelineEntry.change_id == change.id).order_by(TimelineEntry.id))]


def test_a_status_changed_in_connectwise_shows_on_the_widget_without_refresh(
        client, login, engineer, db, org, cw_sim, linked, ticket):
    """The widget had cached the ticket (a minute's cache, per process); the callback's mark makes
    the cached copy a miss, and the open widget's poll answers 204 until then, the new status after."""
    login(engineer)
    first = client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX).get_data(as_text=True)
    mark = first.split('data-ticket-mark="', 1)[1].split('"', 1)[0]
    poll = f"/changes/{linked.id}/connectwise-ticket?since={mark}"
    assert client.get(poll, headers=HTMX).status_code == 204
    patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "status",
                                        "value": {"id": status_id(cw_sim, "In Progress", ticket["board"]["id"])}})
    assert client.get(poll, headers=HTMX).status_code == 204  # no callback yet: nothing to redraw
    callback(db, org, "ticket", ticket["id"])
    assert process_due() == 1
    db.session.refresh(linked)
    assert linked.linked_ticket_status == "In Progress"
    redrawn = client.get(poll, headers=HTMX)
    assert redrawn.status_code == 200 and "In Progress" in redrawn.get_data(as_text=True)
    assert db.session.scalar(db.select(ReceivedCallback)).state == "done"


@pytest.mark.parametrize("fate, words", [
    ("closed", "was closed (Resolved)"),
    ("moved", "was moved to Northwind Logistics"),
    ("merged", "was merged into #"),
    ("deleted", "was deleted"),
])
def test_a_ticket_closed_moved_merged_or_deleted_is_flagged_on_the_open_change_once(
        client, login, admin, db, org, cw_sim, linked, ticket, seed_tickets, fate, words):
    if fate == "closed":
        patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "status",
                                            "value": {"id": status_id(cw_sim, "Resolved", ticket["board"]["id"])}})
    elif fate == "moved":
        patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "company", "value": {"id": 103}})
    elif fate == "merged":
        other = next(t for t in seed_tickets if t["id"] != ticket["id"])
        patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "mergedParentTicket", "value": {"id": other["id"]}})
    else:
        cw_sim.raw("DELETE", f"/service/tickets/{ticket['id']}").raise_for_status()
    callback(db, org, "ticket", ticket["id"], "deleted" if fate == "deleted" else "updated")
    callback(db, org, "ticket", ticket["id"], digest="a second delivery of another body")
    assert process_due() == 2
    [alert] = db.session.scalars(db.select(TicketAlert)).all()
    assert alert.kind == fate and alert.change_id == linked.id
    assert sum(words in message for message in timeline(db, linked)) == 1
    login(admin)
    page = client.get(f"/changes/{linked.id}").get_data(as_text=True)
    assert "ConnectWise ticket alert" in page
    panel = client.get(f"/changes/{linked.id}/connectwise-alerts", headers=HTMX).get_data(as_text=True)
    assert words in panel
    assert words in client.get("/settings/integrations/drift").get_data(as_text=True)


def test_a_reopened_ticket_clears_the_flag(db, org, cw_sim, linked, ticket):
    board = ticket["board"]["id"]
    patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "status", "value": {"id": status_id(cw_sim, "Resolved", board)}})
    callback(db, org, "ticket", ticket["id"], digest="closed")
    assert process_due() == 1 and db.session.scalar(db.select(TicketAlert)).kind == "closed"
    patch_ticket(cw_sim, ticket["id"], {"op": "replace", "path": "status", "value": {"id": status_id(cw_sim, "New", board)}})
    callback(db, org, "ticket", ticket["id"], digest="reopened")
    assert process_due() == 1
    assert db.session.scalar(db.select(TicketAlert)).cleared_at is not None
    assert any("is open again" in m for m in timeline(db, linked))


def test_a_completed_change_is_not_flagged(db, org, cw_sim, linked, ticket):
    linked.state = "completed"
    db.session.commit()
    cw_sim.raw("DELETE", f"/service/tickets/{ticket['id']}").raise_for_status()
    callback(db, org, "ticket", ticket["id"], "deleted")
    process_due()
    assert db.session.scalars(db.select(TicketAlert)).all() == []


def test_a_callback_about_an_unlinked_ticket_is_ignored_without_asking_connectwise(db, org, cw_sim, linked, ticket):
    callback(db, org, "ticket", ticket["id"] + 100_000)
    assert process_due() == 1
    assert db.session.scalar(db.select(ReceivedCallback)).state == "ignored" and cw_sim.journal() == []


def test_connectwise_down_retries_later_and_changes_nothing(db, org, cw_sim, linked, ticket):
    cw_sim.faults(error_rate=1.0)
    callback(db, org, "ticket", ticket["id"])
    process_due()
    row = db.session.scalar(db.select(ReceivedCallback))
    assert row.state == "pending" and row.attempts == 1 and row.next_attempt_at > row.received_at
    assert db.session.scalars(db.select(TicketAlert)).all() == [] and process_due() == 0


@pytest.fixture
def configurations_mapped(company, map_company, map_servers, cw_settings):
    map_company(company, ACME_CW_ID)
    map_servers()


def device_of(db, configuration_id):
    return db.session.scalar(db.select(Device).where(Device.external_id == str(configuration_id)))


def test_a_configuration_created_renamed_and_deactivated_updates_its_device(db, org, cw_sim, configurations_mapped):
    callback(db, org, "configuration", 1001, "added", digest="added")
    process_due()
    assert device_of(db, 1001).hostname == "acme-dc01"
    cw_sim.raw("PATCH", "/company/configurations/1001", json=[
        {"op": "replace", "path": "name", "value": "acme-dc01-renamed"}]).raise_for_status()
    callback(db, org, "configuration", 1001, digest="renamed")
    process_due()
    db.session.expire_all()
    assert device_of(db, 1001).hostname == "acme-dc01-renamed" and device_of(db, 1001).active
    cw_sim.raw("PATCH", "/company/configurations/1001", json=[
        {"op": "replace", "path": "activeFlag", "value": False}]).raise_for_status()
    callback(db, org, "configuration", 1001, digest="deactivated")
    process_due()
    db.session.expire_all()
    assert not device_of(db, 1001).active


def test_a_configuration_deleted_deactivates_its_device(db, org, cw_sim, configurations_mapped):
    callback(db, org, "configuration", 1001, "added", digest="added")
    process_due()
    cw_sim.raw("DELETE", "/company/configurations/1001").raise_for_status()
    callback(db, org, "configuration", 1001, "deleted")
    process_due()
    db.session.expire_all()
    assert not device_of(db, 1001).active


def test_a_configuration_of_an_unmapped_company_is_ignored(db, org, cw_sim, configurations_mapped, seed_tickets):
    other = next(c for c in cw_sim.raw("GET", "/company/configurations", params={"pageSize": 1000}).json()
                 if c["company"]["id"] != ACME_CW_ID and c["type"]["id"] == 1)
    callback(db, org, "configuration", other["id"])
    process_due()
    assert db.session.scalar(db.select(ReceivedCallback)).state == "ignored" and device_of(db, other["id"]) is None
