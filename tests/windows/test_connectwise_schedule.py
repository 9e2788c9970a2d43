"""The implementer's own ConnectWise schedule as a conflict (PRODUCT §2.5), through the integration
seam: one request for the matched member's entries in the window; ConnectWise down is "could not
check", never a refusal."""
from datetime import datetime, timezone

import pytest

from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import MemberMatch
from tests.fixtures.cw_simulator import point_at_simulator

T = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731


@pytest.fixture
def dispatched(db, org, admin, cw_sim):
    """ConnectWise on for the organisation, the admin matched to member 151 (who has a site visit
    on 1 June 2030 10:00–12:00 UTC) and a ticket of ours that the change is linked to."""
    settings = get_settings(org.id)
    point_at_simulator(settings, cw_sim)
    db.session.add(MemberMatch(organisation_id=org.id, user_id=admin.id, cw_member_id=151, method="manual"))
    db.session.commit()
    ticket_id = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 1}).json()[0]["id"]
    for name, start, end in (("Site visit at Contoso", "2030-06-01T10:00:00Z", "2030-06-01T12:00:00Z"),
                             ("Our own change's entry", "2030-06-01T11:00:00Z", "2030-06-01T13:00:00Z")):
        created = cw_sim.raw("POST", "/schedule/entries", json={
            "objectId": ticket_id, "type": {"identifier": "S"}, "member": {"id": 151}, "name": name,
            "dateStart": start, "dateEnd": end})
        assert created.status_code == 201, created.text
        if name.startswith("Our own"):
            own_ticket = ticket_id
        ticket_id = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 2}).json()[1]["id"]
    cw_sim.clear_journal()
    return own_ticket


def _form(admin):
    return {"schedule-window_start": "2030-06-01T11:00", "schedule-window_end": "2030-06-01T13:00",
            "schedule-implementer_id": str(admin.id)}


def _schedule_reads(cw_sim) -> list[dict]:
    return [r for r in cw_sim.journal() if r["path"].endswith("/schedule/entries") and r["method"] == "GET"]


def test_the_form_shows_a_booking_in_connectwise_in_one_request(db, client, login, admin, make_change, cw_sim,
                                                               dispatched):
    # Linked to the ticket of "Our own change's entry": that entry is the change's own booking, not a conflict.
    change = make_change(title="Patch", state="approved", implementer_id=admin.id, linked_ticket_id=dispatched)
    login(admin)
    shown = client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin))
    assert shown.status_code == 200
    assert "ConnectWise schedule: Site visit at Contoso" in shown.text and "Our own change" not in shown.text
    reads = _schedule_reads(cw_sim)
    assert len(reads) == 1 and "member/id = 151" in reads[0]["query"]["conditions"]


def test_saving_the_window_never_asks_connectwise(db, login, post, admin, make_change, cw_sim, dispatched):
    """The booking was shown as the form was filled in; the save answers without a request to ConnectWise."""
    change = make_change(title="Patch", state="approved", implementer_id=admin.id, linked_ticket_id=dispatched)
    login(admin)
    saved = post(f"/changes/{change.id}/schedule", _form(admin))
    assert saved.status_code == 302 and _schedule_reads(cw_sim) == []
    db.session.refresh(change)
    assert change.state == "scheduled"


def test_the_form_opens_with_its_live_check_and_asks_connectwise_nothing_itself(db, client, login, admin,
                                                                               make_change, cw_sim, dispatched):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    page = client.get(f"/changes/{change.id}?action=schedule").text
    assert f'hx-get="/changes/{change.id}/schedule/check"' in page
    assert _schedule_reads(cw_sim) == []  # the page itself does not wait on ConnectWise either


def test_the_live_check_weighs_what_the_save_weighs_and_says_when_the_window_is_clear(
        db, client, login, admin, make_change, make_window, cw_sim, dispatched):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    make_window(name="June freeze", recurrence="once", starts_local=datetime(2030, 6, 2),
                ends_local=datetime(2030, 6, 3))
    login(admin)
    frozen = client.get(f"/changes/{change.id}/schedule/check", query_string={
        **_form(admin), "schedule-window_start": "2030-06-02T11:00", "schedule-window_end": "2030-06-02T13:00"})
    assert "Blackout:" in frozen.text and "June freeze" in frozen.text
    clear = client.get(f"/changes/{change.id}/schedule/check", query_string={
        **_form(admin), "schedule-window_start": "2030-06-04T11:00", "schedule-window_end": "2030-06-04T13:00"})
    assert ("No conflict, blackout or maintenance problem in this window, and nothing else in the implementer’s "
            "ConnectWise schedule") in clear.text


def test_done_entries_and_our_own_changes_entries_are_no_bookings(db, client, login, admin, make_change, cw_sim,
                                                                 dispatched):
    """A closed entry books no time; an entry ChangeBreeze wrote for another change is that change, weighed
    as a conflict of ours, not shown twice."""
    ticket_id = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 3}).json()[2]["id"]
    for name, done in (("Finished site visit", True), ("CHG-000042 implementation window [cb-0a1b2c3d]", False)):
        created = cw_sim.raw("POST", "/schedule/entries", json={
            "objectId": ticket_id, "type": {"identifier": "S"}, "member": {"id": 151}, "name": name,
            "dateStart": "2030-06-01T11:30:00Z", "dateEnd": "2030-06-01T12:30:00Z", "doneFlag": done})
        assert created.status_code == 201, created.text
    change = make_change(title="Patch", state="approved", implementer_id=admin.id, linked_ticket_id=dispatched)
    login(admin)
    shown = client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin)).text
    assert "Site visit at Contoso" in shown
    assert "Finished site visit" not in shown and "CHG-000042" not in shown
    reads = _schedule_reads(cw_sim)
    assert len(reads) == 1 and "doneFlag = false" in reads[0]["query"]["conditions"]


def test_connectwise_down_is_could_not_check_never_a_block(db, client, login, post, admin, make_change, cw_sim,
                                                           dispatched):
    cw_sim.faults(error_rate=1.0, error_status=503)
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    shown = client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin))
    assert shown.status_code == 200 and "could not be checked" in shown.text
    saved = post(f"/changes/{change.id}/schedule", _form(admin))
    assert saved.status_code == 302
    db.session.refresh(change)
    assert change.state == "scheduled"


@pytest.mark.parametrize("query", [
    {"schedule-window_start": "", "schedule-window_end": "", "schedule-implementer_id": ""},
    {"schedule-window_start": "2030-06-01T13:00", "schedule-window_end": "2030-06-01T11:00"},
    {"schedule-window_start": "31 Feb 2030 10:00", "schedule-window_end": "2030-06-01T11:00"},
    {"schedule-window_start": "9999-12-31T23:00", "schedule-window_end": "9999-12-31T23:59"},
    {"schedule-implementer_id": "99999999999999999999999"},
    {"schedule-implementer_id": "<script>"},
])
def test_an_unfinished_or_hostile_form_asks_nothing_and_shows_nothing(db, client, login, admin, make_change,
                                                                      cw_sim, dispatched, query):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    shown = client.get(f"/changes/{change.id}/schedule/check", query_string={**_form(admin), **query})
    assert shown.status_code == 200 and "notice" not in shown.text
    assert _schedule_reads(cw_sim) == []


def test_only_who_may_schedule_the_change_sees_the_schedule(db, client, login, admin, make_change, make_org, cw_sim,
                                                           dispatched):
    draft = make_change(title="Draft", state="draft", implementer_id=admin.id)
    theirs = make_change(organisation=make_org("Elsewhere"), title="Theirs", state="approved", created_by=admin)
    login(admin)
    assert client.get(f"/changes/{draft.id}/schedule/check", query_string=_form(admin)).status_code == 403
    for foreign in (theirs.id, 2**63):
        assert client.get(f"/changes/{foreign}/schedule/check", query_string=_form(admin)).status_code == 404
    assert _schedule_reads(cw_sim) == []


def test_a_viewer_may_not_ask(db, client, login, admin, viewer, make_change, cw_sim, dispatched):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(viewer)
    assert client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin)).status_code == 403
    assert _schedule_reads(cw_sim) == []


def test_the_same_window_asked_again_within_a_minute_is_not_asked_of_connectwise(db, client, login, admin,
                                                                                 make_change, cw_sim, dispatched):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    for _ in range(3):
        shown = client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin))
        assert "Site visit at Contoso" in shown.text
    assert len(_schedule_reads(cw_sim)) == 1


def test_a_flood_of_checks_keeps_the_organisations_pace(app, db, client, login, admin, make_change, cw_sim,
                                                        dispatched):
    """One request per pace interval reaches ConnectWise; a check whose turn lies beyond the interactive
    budget is answered "could not check" at once, unsent, and the schedule is never blocked."""
    app.config["CW_REQUESTS_PER_SECOND"] = 0.01  # a turn every 100 s: beyond any interactive budget
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    first = client.get(f"/changes/{change.id}/schedule/check", query_string=_form(admin))
    assert "Site visit at Contoso" in first.text
    later = client.get(f"/changes/{change.id}/schedule/check",
                       query_string={**_form(admin), "schedule-window_end": "2030-06-01T14:00"})
    assert "too many checks of ConnectWise at once" in later.text
    assert len(_schedule_reads(cw_sim)) == 1
