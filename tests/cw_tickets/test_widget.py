"""The ConnectWise Ticket widget on a change's Overview (PRODUCT §3.6): every state, and a page that never waits."""
from datetime import timedelta

import pytest

from cbcw.changes.models import Change
from cbcw.connectwise.settings.models import ConnectWiseSettings
from tests.cw_tickets.conftest import ACME_CW_ID, open_ticket_of
from tests.helpers.clock import FROZEN_NOW

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def api_calls(cw_sim, path_part="/service/tickets"):
    return [e for e in cw_sim.journal() if path_part in e["path"]]


@pytest.fixture
def ticket(seed_tickets):
    return open_ticket_of(seed_tickets, ACME_CW_ID)


@pytest.fixture
def linked(make_change, engineer, ticket, map_company, company):
    map_company(company, ACME_CW_ID)
    return make_change(created_by=engineer, linked_ticket_id=ticket["id"], linked_ticket_summary="old summary",
                       linked_ticket_status="Old status", linked_ticket_board="Old board")


@pytest.fixture
def widget(client, login, engineer):
    login(engineer)

    def get(change, refresh=False):
        response = client.get(f"/changes/{change.id}/connectwise-ticket" + ("?refresh=1" if refresh else ""),
                              headers=HTMX)
        assert response.status_code == 200
        return text(response)

    return get


def test_detail_page_never_calls_connectwise(client, login, engineer, cw_settings, cw_sim, linked):
    """The detail page renders without any ConnectWise request (so its latency cannot delay it) and
    loads the widget afterwards with hx-get on load, showing the stored ticket meanwhile."""
    login(engineer)
    cw_sim.faults(latency_ms=300)
    response = client.get(f"/changes/{linked.id}")
    body = text(response)
    assert response.status_code == 200 and cw_sim.journal() == []
    assert "old summary" in body and "Loading the live ticket" in body
    assert f'hx-get="/changes/{linked.id}/connectwise-ticket"' in body and 'hx-trigger="load"' in body


def test_live_ticket_shows_link_status_summary_board(widget, cw_settings, linked, ticket):
    """Live: number linking to the ticket on the UI host in a new tab, status, summary, board, Refresh."""
    body = widget(linked)
    url = (f"{cw_settings.base_url.split('/v4_6_release')[0]}/v4_6_release/services/system_io/Service/"
           f"fv_sr100_request.rails?service_recid={ticket['id']}&amp;companyName=demo")
    assert f'href="{url}" target="_blank" rel="noopener noreferrer"' in body
    assert ticket["status"]["name"] in body and ticket["summary"] in body and ticket["board"]["name"] in body
    assert "Refresh" in body


def test_live_status_is_remembered_without_bumping_the_version(widget, db, cw_settings, cw_sim, linked, ticket):
    """A live read stores the last seen status, summary and board on the change; its version and
    when it was last updated (the list's order, a cancelled change's time) stay."""
    version, updated_at = linked.version, linked.updated_at
    cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}",
               json=[{"op": "replace", "path": "status", "value": {"name": "In Progress"}}]).raise_for_status()
    assert "In Progress" in widget(linked)
    db.session.expire_all()
    change = db.session.get(Change, linked.id)
    assert (change.linked_ticket_status, change.linked_ticket_summary, change.linked_ticket_board) == (
        "In Progress", ticket["summary"], ticket["board"]["name"])
    assert (change.version, change.updated_at) == (version, updated_at)


def test_reads_are_cached_for_a_minute_and_refresh_skips_the_cache(widget, cw_settings, cw_sim, linked, monkeypatch):
    """Two loads cost one ConnectWise read; Refresh reads again; after 60 s the cache expires."""
    from cbcw.connectwise.tickets import cache as ticket_cache
    now = [1000.0]
    monkeypatch.setattr(ticket_cache.tickets, "clock", lambda: now[0])
    widget(linked)
    widget(linked)
    assert len(api_calls(cw_sim)) == 1
    widget(linked, refresh=True)
    assert len(api_calls(cw_sim)) == 2
    now[0] += 61
    widget(linked)
    assert len(api_calls(cw_sim)) == 3


def test_our_own_write_to_the_ticket_ends_the_cached_copy(widget, db, org, cw_settings, cw_sim, linked, ticket,
                                                          monkeypatch):
    """After the outbox sent a write to the ticket (e.g. the completed status, from any worker or the
    scheduler), the widget reads the ticket again instead of showing the cached status."""
    from cbcw.connectwise.tickets import cache as ticket_cache
    from cbcw.connectwise.automation.models import OutboxWrite

    monkeypatch.setattr(ticket_cache, "utcnow", lambda: FROZEN_NOW)  # when the copy is cached
    assert ticket["status"]["name"] in widget(linked)
    cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}",
               json=[{"op": "replace", "path": "status", "value": {"name": "In Progress"}}]).raise_for_status()
    assert "In Progress" not in widget(linked)  # cached: someone else's edit shows within a minute
    db.session.add(OutboxWrite(organisation_id=org.id, change_id=linked.id, ticket_id=ticket["id"], event="x",
                               kind="status", payload={}, reference="cb-00000000", state="sent",
                               finished_at=FROZEN_NOW + timedelta(seconds=1)))
    db.session.commit()
    assert "In Progress" in widget(linked)
    assert len(api_calls(cw_sim, f"/service/tickets/{ticket['id']}")) == 3  # the PATCH and two reads


def test_connectwise_unreachable_shows_last_seen_and_retry(widget, cw_settings, cw_sim, linked):
    """ConnectWise answering 503: the widget says it is unreachable, shows what was last seen, offers Retry."""
    cw_sim.faults(error_count=10, error_status=503)
    body = widget(linked)
    assert "ConnectWise could not be reached" in body and "Old status" in body and "Retry" in body
    assert "Add Time Entry" not in body


def test_connectwise_stopped_shows_unreachable(widget, cw_settings, db, linked, unused_port):
    """Nothing listening at the Base URL: unreachable, not an error page."""
    cw_settings.base_url = f"http://127.0.0.1:{unused_port}/v4_6_release/apis/3.0"
    db.session.commit()
    assert "ConnectWise could not be reached" in widget(linked)


def test_slow_connectwise_within_budget_still_fills_the_widget(widget, cw_settings, cw_sim, linked, ticket):
    """300 ms of latency only slows the widget's own request; it still shows the live ticket."""
    cw_sim.faults(latency_ms=300)
    assert ticket["summary"] in widget(linked)


def test_deleted_ticket_says_so_and_offers_unlinking(widget, cw_settings, cw_sim, linked, ticket):
    """A ticket deleted in ConnectWise: the widget says so and offers Unlink."""
    cw_sim.raw("DELETE", f"/service/tickets/{ticket['id']}").raise_for_status()
    body = widget(linked)
    assert f"Ticket #{ticket['id']} was deleted in ConnectWise" in body
    assert f'action="/changes/{linked.id}/connectwise-ticket/unlink"' in body


def test_integration_disabled_says_so(widget, cw_settings, cw_sim, db, linked):
    """Integration switched off: the widget says so, shows the stored details, asks ConnectWise nothing."""
    cw_settings.enabled = False
    db.session.commit()
    body = widget(linked)
    assert "integration is disabled" in body and "old summary" in body
    assert cw_sim.journal() == []


def test_not_linked_state(widget, cw_settings, make_change, engineer):
    """A change without a ticket says so and offers to link one."""
    body = widget(make_change(created_by=engineer))
    assert "No ConnectWise ticket linked" in body and "Link a ticket" in body


def test_without_htmx_the_widget_is_a_page(client, login, engineer, cw_settings, linked):
    """Opened directly (no JavaScript), the widget URL answers a whole page."""
    login(engineer)
    body = text(client.get(f"/changes/{linked.id}/connectwise-ticket"))
    assert "<html" in body and "ConnectWise ticket" in body


def test_settings_row_is_not_created_by_a_read(widget, db, make_change, engineer):
    """Loading the widget of an organisation without ConnectWise settings writes no settings row."""
    widget(make_change(created_by=engineer, linked_ticket_id=5004))
    assert db.session.scalar(db.select(db.func.count()).select_from(ConnectWiseSettings)) == 0
