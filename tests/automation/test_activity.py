"""Integration activity pages, Retry, the change panel and the transition preview (PRODUCT §3.8)."""
import re

import pytest

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.connectwise.automation import plan_block
from cbcw.connectwise.automation.models import OutboxWrite
from tests.automation.conftest import HELP_DESK_TICKET, deliver_all, outbox

ACTIVITY = "/settings/integrations/activity"


def test_organisation_activity_shows_each_write_with_its_request_and_error(
        db, linked, client, login, admin, cw_sim, created_status_missing_on_help_desk):
    """Admins see every write: event, kind, state, attempts, the plain error and the request (no secrets)."""
    change = linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    login(admin)
    page = client.get(ACTIVITY).get_data(as_text=True)
    assert change.reference in page and "Ticket linked" in page and "Ticket status" in page
    assert "Failed" in page and "Sent" in page
    assert "does not exist on the board “Help Desk”" in page
    assert f"POST /service/tickets/{HELP_DESK_TICKET}/notes" in page
    assert "demoprivatekey" not in page and "demopublickey" not in page and "Basic (redacted)" in page
    failed_only = client.get(ACTIVITY + "?state=failed").get_data(as_text=True)
    assert "Ticket status" in failed_only and "Internal note" not in failed_only


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_admin_and_msp_see_the_organisation_activity(make_user, client, login, role):
    """Engineers and viewers get 403 on Settings → Integrations → Activity."""
    login(make_user(role))
    assert client.get(ACTIVITY).status_code == 403


def test_retry_sends_a_failed_write_again_after_the_cause_is_fixed(db, linked, client, login, admin, post, cw_org, cw_sim,
        created_status_missing_on_help_desk):
    """Fix the status name, press Retry: the failed write is queued again and the worker delivers it."""
    change = linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    failed = next(r for r in outbox(db, change) if r.state == "failed")
    cw_org.status_change_created = "New"
    db.session.commit()
    db.session.execute(db.update(OutboxWrite).where(OutboxWrite.id == failed.id)
                       .values(payload={"status": "New", "setting": "Change Created"}))
    db.session.commit()
    login(admin)
    response = post(f"{ACTIVITY}/{failed.id}/retry", {"back": "change"})
    assert response.status_code == 302 and response.location.endswith(f"/changes/{change.id}?tab=integration")
    db.session.refresh(failed)
    assert failed.state == "pending"  # the request answered without waiting on ConnectWise
    deliver_all()
    db.session.refresh(failed)
    assert failed.state == "sent" and failed.attempts == 2


def test_retry_all_failed_and_foreign_ids(db, linked, client, login, admin, post, make_org, make_user, cw_sim,
        created_status_missing_on_help_desk):
    """Retry all failed requeues this organisation's failed writes; another organisation's write is a 404."""
    change = linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    login(admin)
    assert post(f"{ACTIVITY}/retry-failed", {"change_id": str(change.id)}).status_code == 302
    other_admin = make_user("admin", organisation=make_org())
    post("/logout")
    login(other_admin)
    failed = next(r for r in outbox(db, change) if r.kind == "status")
    assert post(f"{ACTIVITY}/{failed.id}/retry").status_code == 404
    assert post(f"{ACTIVITY}/{2**70}/retry").status_code == 404
    assert client.get(f"/changes/{change.id}/integration").status_code == 404


def test_retry_needs_a_csrf_token(db, linked, client, login, admin, cw_sim):
    """A Retry POST without the CSRF token is refused."""
    change = linked()
    login(admin)
    row = outbox(db, change)[0]
    assert client.post(f"{ACTIVITY}/{row.id}/retry").status_code == 400


def test_change_page_has_the_activity_tab_and_the_panel_lists_the_changes_writes(db, linked, client, login, cast, cw_sim):
    """The Overview says in one line what was written and links the ConnectWise activity tab; the
    tab (a real URL, selected) loads the panel, which lists this change's writes only."""
    change = linked()
    other = linked(ticket=5004)
    deliver_all()
    login(cast.creator)
    overview = client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert f'hx-get="/changes/{change.id}/integration"' not in overview  # not 30 rows on the Overview
    summary = " ".join(re.sub(r"<[^>]+>", "", overview.split('class="card panel-summary"')[1].split("</p>")[0]).split())
    writes = outbox(db, change)
    sent = sum(w.state == "sent" for w in writes)
    assert f"ConnectWise activity: {len(writes)} writes to the ticket: {sent} sent" in summary
    assert f'href="/changes/{change.id}?tab=integration"' in overview
    page = client.get(f"/changes/{change.id}?tab=integration").get_data(as_text=True)
    assert 'id="tab-integration" aria-controls="change-tabpanel"\n     aria-selected="true"' in page
    assert f'hx-get="/changes/{change.id}/integration"' in page
    panel = client.get(f"/changes/{change.id}/integration", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "#5001" in panel and "#5004" not in panel and "<html" not in panel
    assert "Retry" not in panel  # engineers see, admins retry
    assert other.id


def test_transition_forms_preview_what_connectwise_will_receive(db, linked, client, login, post, cast, cw_sim):
    """The approve form says the note and (for the last approval) the status; schedule names its entries."""
    change = linked()
    deliver_all()
    apply(operations.submit, change, cast.creator)
    login(cast.technical)
    page = client.get(f"/changes/{change.id}?action=decide").get_data(as_text=True)
    assert "ConnectWise ticket #5001 will receive: 1 internal note." in page
    apply(operations.approve, change, cast.technical, kind="technical")
    post("/logout")
    login(cast.operational)
    page = client.get(f"/changes/{change.id}?action=decide").get_data(as_text=True)
    assert "will receive: status → Scheduled, 1 internal note." in page
    apply(operations.approve, change, cast.operational, kind="operational")
    post("/logout")
    login(cast.creator)
    page = client.get(f"/changes/{change.id}?action=schedule").get_data(as_text=True)
    assert ("will receive: status → In Progress, schedule entry for the window for 3 members, "
            "the implementation plan in the ticket&#39;s description.") in page


def test_plan_block_is_found_by_markers_even_when_line_breaks_became_spaces():
    """The block is replaced, not appended, after ConnectWise flattened its line breaks; the rest stays."""
    original = "Customer: printer offline.\n\nMore text."
    once = plan_block.with_block(original, "CHG-000123", "Step 1\nStep 2")
    flattened = once.replace("\n", " ")
    again = plan_block.with_block(flattened, "CHG-000123", "New step")
    assert again.startswith("Customer: printer offline.  More text.")
    assert again.count("[ChangeBreeze plan CHG-000123]") == 1 and "Step 1" not in again and "New step" in again
    other = plan_block.with_block(again, "CHG-000999", "Other change")
    assert "[ChangeBreeze plan CHG-000123]" in other and "[ChangeBreeze plan CHG-000999]" in other


def test_an_empty_filter_names_the_state_and_retry_all_failed_keeps_the_filter(db, linked, client, login, admin, post, cw_sim,
        created_status_missing_on_help_desk):
    """A state filter with no write says so for that state (not "no writes yet"); Retry all failed returns to the filter."""
    linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    login(admin)
    pending = client.get(ACTIVITY + "?state=pending").get_data(as_text=True)
    assert "No pending writes." in pending and "No ConnectWise writes" not in pending
    response = post(f"{ACTIVITY}/retry-failed", {"back": "org", "state": "failed"})
    assert response.status_code == 302 and response.location.endswith(f"{ACTIVITY}?state=failed")
    deliver_all()  # the status name is still missing on the board: it fails again
    failed = client.get(ACTIVITY + "?state=failed").get_data(as_text=True)
    assert 'name="state" value="failed"' in failed  # each Retry form on the filtered list carries the filter
    assert post(f"{ACTIVITY}/retry-failed", {"back": "org", "state": "<bogus>"}).location.endswith(ACTIVITY)


def test_the_activity_sub_page_keeps_the_change_tabs_with_its_own_selected(db, linked, client, login, cast, cw_sim):
    """/changes/<id>/integration as a page of its own shows the change's tabs, ConnectWise activity selected."""
    change = linked()
    login(cast.creator)
    page = client.get(f"/changes/{change.id}/integration").get_data(as_text=True)
    assert 'id="tab-integration" aria-controls="change-tabpanel"\n     aria-selected="true"' in page
    assert 'id="tab-overview" aria-controls="change-tabpanel"\n     aria-selected="false"' in page


def test_a_viewer_sees_what_was_written_but_not_the_request_bodies(db, linked, client, login, make_user, cw_sim):
    """Viewers see each write, its state and where it went; the bodies (internal note texts) are not in the page."""
    change = linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    note = next(r for r in outbox(db, change) if r.kind == "note")
    login(make_user("viewer"))
    panel = client.get(f"/changes/{change.id}/integration", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Internal note" in panel and "Sent" in panel and "POST&nbsp;/<wbr>service/<wbr>tickets" in panel
    assert note.payload["text"] not in panel and "<pre" not in panel and "internalAnalysisFlag" not in panel


def test_activity_paths_break_only_after_a_slash_and_an_empty_error_column_is_left_out(
        db, linked, client, login, admin, cw_sim, created_status_missing_on_help_desk):
    """A request path may wrap only at its slashes; with no write in error there is no Last error column."""
    change = linked()
    deliver_all()
    login(admin)
    page = client.get(ACTIVITY).get_data(as_text=True)
    assert f"POST&nbsp;/<wbr>service/<wbr>tickets/<wbr>{change.linked_ticket_id}/<wbr>notes" in page
    assert "Last error" not in page
    linked(ticket=HELP_DESK_TICKET)  # its status write fails: the column appears, with the error
    deliver_all()
    page = client.get(ACTIVITY).get_data(as_text=True)
    assert "Last error" in page and "does not exist on the board “Help Desk”" in page


def test_the_change_activity_shows_pending_writes_polling_until_they_are_sent(db, linked, client, login, post, cast,
                                                                            make_org, make_user, cw_sim):
    """Right after linking, the panel lists the writes on their way and asks again every second;
    once delivered, the same view (from the first write shown) says each was sent and stops."""
    change = linked()
    login(cast.creator)
    panel = client.get(f"/changes/{change.id}/integration", headers={"HX-Request": "true"}).get_data(as_text=True)
    first = outbox(db, change)[0].id
    assert 'hx-trigger="every 1s"' in panel and "waiting to be sent" in panel
    assert f"/changes/{change.id}/integration/pending?since={first}" in panel
    deliver_all()
    view = client.get(f"/changes/{change.id}/integration/pending?since={first}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Every write sent to ConnectWise." in view and "sent to ConnectWise</strong>" in view
    assert "hx-trigger" not in view and "<html" not in view
    assert 'id="panel-summary-integration"' not in view  # the activity tab has no line of counts to update
    overview = client.get(f"/changes/{change.id}/integration/pending?since={first}&overview=1",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    line = re.search(r'<span id="panel-summary-integration" hx-swap-oob="true">([^<]*)</span>', overview)
    assert line and "pending" not in line.group(1) and " sent" in line.group(1)
    for since in ("x", "-1", str(2**70), ""):
        assert client.get(f"/changes/{change.id}/integration/pending?since={since}").status_code == 200
    post("/logout")
    login(make_user("engineer", organisation=make_org()))  # another organisation's user: 404
    assert client.get(f"/changes/{change.id}/integration/pending").status_code == 404
