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


def test_a_booking_in_connectwise_asks_for_schedule_anyway_in_one_request(db, login, post, admin, make_change,
                                                                           cw_sim, dispatched):
    # Linked to the ticket of "Our own change's entry": that entry is the change's own booking, not a conflict.
    change = make_change(title="Patch", state="approved", implementer_id=admin.id, linked_ticket_id=dispatched)
    login(admin)
    asked = post(f"/changes/{change.id}/schedule", _form(admin))
    assert asked.status_code == 200 and "ConnectWise schedule: Site visit at Contoso" in asked.text
    assert "Our own change" not in asked.text and "Schedule anyway" in asked.text
    reads = [r for r in cw_sim.journal() if r["path"].endswith("/schedule/entries") and r["method"] == "GET"]
    assert len(reads) == 1 and "member/id = 151" in reads[0]["query"]["conditions"]
    kept = post(f"/changes/{change.id}/schedule", {**_form(admin), "schedule-confirm_conflicts": "y"})
    assert kept.status_code == 302


def test_connectwise_down_is_could_not_check_never_a_block(db, login, post, admin, make_change, cw_sim, dispatched):
    cw_sim.faults(error_rate=1.0, error_status=503)
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    saved = post(f"/changes/{change.id}/schedule", _form(admin))
    assert saved.status_code == 302
    db.session.refresh(change)
    assert change.state == "scheduled"


def test_down_shows_could_not_check_when_the_form_is_shown_again(db, login, post, admin, engineer, make_change,
                                                                 cw_sim, dispatched):
    """A refused form (here: another change of the same implementer) says ConnectWise could not be checked."""
    cw_sim.faults(error_rate=1.0, error_status=503)
    make_change(title="Booked", state="scheduled", implementer_id=admin.id,
                window_start=T(2030, 6, 1, 12), window_end=T(2030, 6, 1, 14))
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    asked = post(f"/changes/{change.id}/schedule", _form(admin))
    assert asked.status_code == 200 and "could not be checked" in asked.text
