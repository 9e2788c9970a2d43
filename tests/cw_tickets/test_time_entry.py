"""Add Time Entry (PRODUCT §3.6): the button, the popup form, ConnectWise's answer, each refusal."""
from datetime import datetime, timezone

import pytest

from cbcw.connectwise.tickets import routes as ticket_routes
from tests.cw_tickets.conftest import ACME_CW_ID, open_ticket_of

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def time_posts(cw_sim):
    return [e for e in cw_sim.journal() if e["method"] == "POST" and e["path"].endswith("/time/entries")]


@pytest.fixture
def ticket(seed_tickets):
    return open_ticket_of(seed_tickets, ACME_CW_ID)


@pytest.fixture
def member_user(make_user, match_member):
    user = make_user("engineer", timezone="Australia/Sydney")
    match_member(user)
    return user


@pytest.fixture
def linked(make_change, member_user, ticket, map_company, company, cw_settings):
    map_company(company, ACME_CW_ID)
    return make_change(created_by=member_user, linked_ticket_id=ticket["id"], linked_ticket_summary=ticket["summary"])


@pytest.fixture
def entry_url(linked):
    return f"/changes/{linked.id}/connectwise-ticket/time-entry"


def entry_form(**overrides):
    return {"time_start": "2030-03-04T09:00", "time_end": "2030-03-04T10:30", "notes": "Swapped the core switch",
            **overrides}


def test_button_shown_to_a_matched_member(client, login, member_user, linked):
    """A user matched to a ConnectWise member sees Add Time Entry, which opens the popup."""
    login(member_user)
    body = text(client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX))
    assert "Add Time Entry" in body and "data-time-entry-popup" in body


def test_button_hidden_without_a_member(client, login, engineer, linked):
    """A user without a ConnectWise member does not see the button, and the form is refused."""
    login(engineer)
    assert "Add Time Entry" not in text(client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX))
    assert client.get(f"/changes/{linked.id}/connectwise-ticket/time-entry").status_code == 403


def test_a_viewer_matched_to_a_member_cannot_log_time(client, post, login, make_user, match_member, linked, cw_sim):
    """Viewers only read: even matched to a member they get no button, and the form is refused (403)
    without anything reaching ConnectWise."""
    viewer = make_user("viewer")
    match_member(viewer, 154, "ttech")  # one member, one user: eengineer is the engineer's
    login(viewer)
    assert "Add Time Entry" not in text(client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX))
    url = f"/changes/{linked.id}/connectwise-ticket/time-entry"
    assert client.get(url).status_code == 403 and post(url, entry_form()).status_code == 403
    assert time_posts(cw_sim) == []


def test_form_is_prefilled_in_the_users_timezone(client, login, member_user, entry_url, ticket, monkeypatch):
    """The popup shows the member and ticket number, and the current time in the user's zone as the end,
    half an hour before as the start."""
    monkeypatch.setattr(ticket_routes, "utcnow", lambda: datetime(2026, 12, 8, 23, 59, 30, tzinfo=timezone.utc))
    login(member_user)
    body = text(client.get(entry_url + "?popup=1"))
    assert "Member eengineer" in body and f"#{ticket['id']}" in body
    # 23:59 UTC on 8 December is 10:59 the next morning in Sydney (UTC+11 in summer).
    assert 'value="2026-12-09T10:59"' in body and 'value="2026-12-09T10:29"' in body
    assert 'name="popup" value="1"' in body and "Open ticket in ConnectWise" in body
    assert 'class="topbar"' not in body  # a popup has no navigation


def test_saving_creates_one_entry_as_the_member_on_the_ticket(client, post, login, member_user, cw_sim, entry_url,
                                                              ticket):
    """Save posts exactly one time entry charged to the ticket as the member, times in UTC; the popup
    confirms and tells its opener."""
    login(member_user)
    response = post(entry_url, entry_form(popup="1"))
    body = text(response)
    assert response.status_code == 200 and "data-time-entry-saved" in body and "saved on ticket" in body
    [entry] = time_posts(cw_sim)
    sent = entry["json"]
    assert (sent["chargeToType"], sent["chargeToId"], sent["member"]) == ("ServiceTicket", ticket["id"], {"id": 153})
    # 09:00 and 10:30 in Sydney (UTC+11 in March) are 22:00 and 23:30 UTC the day before.
    assert (sent["timeStart"], sent["timeEnd"]) == ("2030-03-03T22:00:00Z", "2030-03-03T23:30:00Z")
    assert sent["notes"] == "Swapped the core switch" and entry["status"] == 201
    # Nothing reaches the customer: every e-mail action flag off, the notes internal (PRODUCT §3.6).
    assert (sent["emailContactFlag"], sent["emailResourceFlag"], sent["emailCcFlag"]) == (False, False, False)
    assert (sent["addToInternalAnalysisFlag"], sent["addToDetailDescriptionFlag"], sent["addToResolutionFlag"]) \
        == (True, False, False)


def test_the_organisation_may_put_time_notes_in_the_discussion(client, post, login, member_user, cw_sim, entry_url,
                                                                cw_settings, db):
    """With the setting on, the notes go to the discussion; nobody is e-mailed either way."""
    cw_settings.time_notes_to_discussion = True
    db.session.commit()
    login(member_user)
    post(entry_url, entry_form(popup="1"))
    [entry] = time_posts(cw_sim)
    sent = entry["json"]
    assert (sent["addToDetailDescriptionFlag"], sent["addToInternalAnalysisFlag"]) == (True, False)
    assert (sent["emailContactFlag"], sent["emailResourceFlag"], sent["emailCcFlag"]) == (False, False, False)


def test_a_role_without_time_entries_names_the_missing_capability(client, post, login, member_user, cw_sim, entry_url):
    """The API member's role refuses time entries (403 Security): the popup says which permission is missing."""
    cw_sim.deny("POST /time/entries")
    login(member_user)
    body = text(post(entry_url, entry_form(popup="1")))
    assert "may not add time entries for all members" in body
    assert "Time &amp; Expense → Time Entry: Add = All" in body
    assert [e["status"] for e in time_posts(cw_sim)] == [403]


def test_without_javascript_saving_returns_to_the_change(client, post, login, member_user, cw_sim, entry_url, linked):
    """As an ordinary page, Save goes back to the change with a message."""
    login(member_user)
    response = post(entry_url, entry_form())
    assert response.status_code == 302 and response.location.endswith(f"/changes/{linked.id}")
    assert len(time_posts(cw_sim)) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"time_end": "2030-03-04T08:00"}, "The end must be after the start."),
    ({"time_end": "2030-03-04T09:00"}, "The end must be after the start."),
    ({"time_end": "2030-03-05T09:01"}, "A time entry lasts at most 24 hours"),
    ({"time_start": "2000-01-01T00:00", "time_end": "2100-12-31T23:59"}, "A time entry lasts at most 24 hours"),
    ({"notes": "  "}, "Describe the work"),
    ({"time_start": "1999-12-31T23:00"}, "between 2000 and 2100"),
    ({"time_end": "2101-01-01T10:00"}, "between 2000 and 2100"),
    ({"time_start": "9999-12-31T23:59"}, "between 2000 and 2100"),
    ({"time_start": "not a date"}, "“not a date” is not a date and time"),
    ({"time_start": "2030-02-30T10:00"}, "30 Feb 2030 is not a date: February 2030 has 28 days."),
])
def test_invalid_entries_are_refused_in_the_popup(client, post, login, member_user, cw_sim, entry_url, overrides,
                                                  message):
    """End before start, longer than a day, no notes or an impossible date: the popup says why and nothing is sent."""
    login(member_user)
    response = post(entry_url, entry_form(popup="1", **overrides))
    assert response.status_code == 200 and message in text(response)
    assert time_posts(cw_sim) == []


def test_an_entry_of_exactly_24_hours_is_sent(client, post, login, member_user, cw_sim, entry_url):
    """The longest entry ConnectWise gets from us is a whole day."""
    login(member_user)
    post(entry_url, entry_form(popup="1", time_end="2030-03-05T09:00"))
    assert len(time_posts(cw_sim)) == 1


def test_status_without_time_entry_is_refused_clearly(client, post, login, member_user, cw_sim, entry_url, ticket):
    """A ticket whose status forbids time (timeEntryNotAllowed): ConnectWise's refusal is shown in the popup."""
    board = ticket["board"]["id"]
    cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}",
               json=[{"op": "replace", "path": "status", "value": {"id": board * 100 + 6}}]).raise_for_status()
    login(member_user)
    response = post(entry_url, entry_form(popup="1"))
    body = text(response)
    assert response.status_code == 200 and "ConnectWise refused the time entry" in body
    assert "not allowed" in body and "Cancelled" in body
    assert [e["status"] for e in time_posts(cw_sim)] == [400]


def test_deleted_ticket_is_refused_clearly(client, post, login, member_user, cw_sim, entry_url, ticket):
    """The ticket deleted meanwhile: the popup says ConnectWise refused it, naming the ticket."""
    cw_sim.raw("DELETE", f"/service/tickets/{ticket['id']}").raise_for_status()
    login(member_user)
    body = text(post(entry_url, entry_form(popup="1")))
    assert "ConnectWise refused the time entry" in body and f"{ticket['id']}" in body


def test_connectwise_down_is_reported_and_not_retried(client, post, login, member_user, cw_sim, entry_url):
    """ConnectWise answering 503: the popup says the entry was not saved, after exactly one attempt."""
    cw_sim.faults(error_count=5, error_status=503)
    login(member_user)
    body = text(post(entry_url, entry_form(popup="1")))
    assert "The time entry was not saved" in body
    assert len(time_posts(cw_sim)) == 1


def test_saving_refreshes_the_cached_ticket(client, post, login, member_user, cw_sim, entry_url, linked):
    """After a saved entry the next widget load reads ConnectWise again rather than the cache."""
    login(member_user)
    client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX)
    post(entry_url, entry_form(popup="1"))
    client.get(f"/changes/{linked.id}/connectwise-ticket", headers=HTMX)
    reads = [e for e in cw_sim.journal() if e["method"] == "GET" and "/service/tickets/" in e["path"]]
    assert len(reads) == 2


def test_simulator_ticket_page_lists_the_entry(client, post, login, member_user, cw_sim, entry_url, ticket):
    """The simulator's ticket page shows the new time entry, as the demo needs."""
    import requests
    login(member_user)
    post(entry_url, entry_form(popup="1"))
    page = requests.get(f"{cw_sim.root_url}/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
                        f"?service_recid={ticket['id']}&companyName=demo", timeout=5).text
    assert "Swapped the core switch" in page and "eengineer" in page
