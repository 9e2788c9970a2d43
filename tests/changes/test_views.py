"""Change pages: list, new/edit, detail tabs, one form per transition, access rules.

Uses the lifecycle fixtures of tests/changes/conftest.py (people, new_change, pending_change…).
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cbcw.changes import operations
from cbcw.changes.models import Change, ChangeDevice
from cbcw.changes.unit_of_work import apply

from tests.fixtures.database import committed_rows

from .conftest import WINDOW_END, WINDOW_START


@pytest.fixture
def vcab(make_user):
    """Three active vCAB members: two approvals make a majority."""
    return [make_user("engineer", vcab_member=True, display_name=f"Val Vcab{i}") for i in (1, 2, 3)]


def text(response) -> str:
    return response.get_data(as_text=True)


def reload(db, change) -> Change:
    db.session.expire_all()
    return db.session.get(Change, change.id)


def form_data(company, people, **overrides):
    """What the new-change form posts when filled in."""
    return {
        "title": "Replace core switch",
        "company_id": str(company.id),
        "risk": "high",
        "description": "Swap @core-sw1 for the new model",
        "reason": "End of life",
        "impact": "Ten minutes of downtime",
        "implementation_plan": "Rack, cable, migrate config",
        "rollback_plan": "Re-cable the old switch",
        "test_plan": "Ping every VLAN",
        "window_start": "",
        "window_end": "",
        "implementer_id": str(people.implementer.id),
        "technical_approver_id": str(people.technical.id),
        "operational_approver_id": str(people.operational.id),
        **overrides,
    }


# --- List ------------------------------------------------------------------------------------


def test_list_requires_login(client):
    """An anonymous visitor is sent to the login page."""
    response = client.get("/changes")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_list_shows_number_title_company_state_risk_and_local_window(client, login, make_user, make_change):
    """The list shows each change's number, title, company, state, risk and window in local time."""
    login(make_user("engineer", timezone="Pacific/Auckland"))
    make_change(title="Patch SQL", state="scheduled", risk="high",
                window_start=datetime(2030, 1, 1, 22, 0, tzinfo=timezone.utc),
                window_end=datetime(2030, 1, 1, 23, 0, tzinfo=timezone.utc))
    page = text(client.get("/changes"))
    assert "CHG-000001" in page and "Patch SQL" in page and "Acme Manufacturing" in page
    assert 'class="badge state-scheduled"' in page and 'class="badge risk-high"' in page
    assert "02 Jan 2030 11:00" in page  # 22:00 UTC is 11:00 next day in Auckland (NZDT)
    assert "New change" in page


def test_list_filters_by_state(client, login, engineer, make_change):
    """Choosing a state shows only changes in that state."""
    login(engineer)
    make_change(title="Draft one")
    make_change(title="Done one", state="completed")
    page = text(client.get("/changes?state=completed"))
    assert "Done one" in page and "Draft one" not in page


def test_list_filters_by_company(client, login, engineer, make_change, make_company):
    """Choosing a company shows only that company's changes."""
    login(engineer)
    other = make_company("Globex")
    make_change(title="Acme work")
    make_change(title="Globex work", company_id=other.id)
    page = text(client.get(f"/changes?company={other.id}"))
    assert "Globex work" in page and "Acme work" not in page


@pytest.mark.parametrize("query", ["CHG-12", "chg-000012", "12"])
def test_search_by_change_number(client, login, engineer, make_change, query):
    """Searching CHG-12, chg-000012 or 12 finds change number 12."""
    login(engineer)
    for n in range(1, 13):
        make_change(title=f"Job {'twelve' if n == 12 else n}")
    page = text(client.get("/changes", query_string={"q": query}))
    assert "Job twelve" in page and "Job 3<" not in page


def test_search_by_title_and_description(client, login, engineer, make_change):
    """Searching words finds changes by title or description, case-insensitively."""
    login(engineer)
    make_change(title="Firewall rules")
    make_change(title="Mail", description="Move the MX records")
    make_change(title="Unrelated")
    page = text(client.get("/changes?q=firewall"))
    assert "Firewall rules" in page and "Unrelated" not in page
    page = text(client.get("/changes?q=mx record"))
    assert ">Mail<" in page and "Firewall rules" not in page


def test_list_is_paginated_25_per_page(client, login, engineer, make_change):
    """Thirty changes fill page one with 25 and leave 5 for page two."""
    login(engineer)
    for n in range(30):
        make_change(title=f"Bulk {n:02d}")
    first, second = text(client.get("/changes")), text(client.get("/changes?page=2"))
    assert first.count("<tr>") == 26 and "Page 1 of 2" in first and 'rel="next"' in first
    assert second.count("<tr>") == 6 and "Page 2 of 2" in second


def test_pagination_links_keep_the_filters(client, login, engineer, make_change):
    """The next-page link keeps the search and state filters."""
    login(engineer)
    for n in range(27):
        make_change(title=f"Patch {n}")
    page = text(client.get("/changes?q=patch&state=draft"))
    assert "page=2" in page and "q=patch" in page and "state=draft" in page


def test_htmx_list_request_returns_only_the_results_partial(client, login, engineer, make_change):
    """A filter swap gets just the results table, marked Vary: HX-Request; a history restore gets the page."""
    login(engineer)
    make_change(title="Swap me")
    partial = client.get("/changes?q=swap", headers={"HX-Request": "true"})
    assert "Swap me" in text(partial) and "<html" not in text(partial)
    assert "HX-Request" in partial.headers["Vary"]
    full = client.get("/changes", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in text(full)
    plain = client.get("/changes")
    assert "<html" in text(plain) and "HX-Request" in plain.headers["Vary"]


def test_filter_form_works_with_and_without_htmx(client, login, engineer):
    """The filter form is a real GET form that htmx enhances with a debounced, synced search (the
    form's own trigger, so Enter replaces a pending typed search rather than adding a request)."""
    login(engineer)
    page = text(client.get("/changes"))
    assert 'method="get" action="/changes"' in page
    assert 'hx-trigger="submit, input changed delay:300ms from:#q"' in page
    assert 'hx-push-url="true"' in page and 'hx-sync="this:replace"' in page


def test_empty_list_says_so(client, login, engineer):
    """With no changes the list says so, and a search that matches nothing offers to clear it."""
    login(engineer)
    assert "No changes yet." in text(client.get("/changes"))
    assert "No changes match these filters." in text(client.get("/changes?q=nothing"))


def test_viewer_gets_no_new_change_button(client, login, viewer, make_change):
    """A viewer sees the list but no New change button."""
    make_change(title="Visible to all")
    login(viewer)
    page = text(client.get("/changes"))
    assert "Visible to all" in page and "New change" not in page


# --- New and edit ----------------------------------------------------------------------------


def test_create_change_redirects_to_its_page(client, post, login, db, company, people):
    """Creating a change stores a CHG-numbered draft and opens its page with a confirmation."""
    login(people.implementer)
    response = post("/changes/new", form_data(company, people))
    change = db.session.scalar(select(Change))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/changes/{change.id}")
    assert change.reference == "CHG-000001" and change.state == "draft" and change.risk == "high"
    assert change.technical_approver_id == people.technical.id and change.unresolved_mentions == ["core-sw1"]
    assert "CHG-000001 created as a draft." in text(client.get(response.headers["Location"]))


def test_new_change_form_offers_org_companies_and_people(client, login, engineer, company, make_company,
                                                         make_org, make_user, viewer):
    """The form lists the organisation's active companies and non-viewer users only."""
    login(engineer)
    foreign = make_org("Rival MSP")
    make_company("Rival client", organisation=foreign)
    make_user("engineer", organisation=foreign, display_name="Rival Rita")
    page = text(client.get("/changes/new"))
    assert "Acme Manufacturing" in page and "Erin Engineer" in page
    assert "Rival client" not in page and "Rival Rita" not in page and "Vic Viewer" not in page
    assert "Type @hostname to link a device." in page and 'type="datetime-local"' in page


def test_invalid_form_shows_errors_and_keeps_typed_values(post, login, db, company, people):
    """A missing title or an end before the start re-renders the form with errors and the typed text."""
    login(people.implementer)
    response = post("/changes/new", form_data(
        company, people, title="", reason="Keep this reason",
        window_start="2030-03-01T10:00", window_end="2030-03-01T09:00",
    ))
    page = text(response)
    assert response.status_code == 200
    assert "This field is required." in page and "The implementation window must end after it starts." in page
    assert "Keep this reason" in page and 'value="2030-03-01T10:00"' in page
    assert db.session.scalar(select(Change)) is None


def test_window_is_typed_and_shown_in_the_users_timezone(client, post, login, db, make_user, company, people):
    """A window typed in Auckland time is stored as the right UTC instant and shown back in Auckland time."""
    login(make_user("engineer", timezone="Pacific/Auckland"))
    post("/changes/new", form_data(company, people, window_start="2030-07-01T09:00",
                                   window_end="2030-07-01T11:30"))
    change = db.session.scalar(select(Change))
    assert change.window_start == datetime(2030, 6, 30, 21, 0, tzinfo=timezone.utc)  # NZST, UTC+12
    assert change.window_end == datetime(2030, 6, 30, 23, 30, tzinfo=timezone.utc)
    assert "01 Jul 2030 09:00" in text(client.get(f"/changes/{change.id}"))
    edit = text(client.get(f"/changes/{change.id}/edit"))
    assert 'value="2030-07-01T09:00"' in edit and 'value="2030-07-01T11:30"' in edit


def test_edit_draft_shows_current_values_and_saves(client, post, login, db, engineer, new_change, company, people):
    """Editing a draft shows what is stored and saves the new values."""
    change = new_change()
    login(engineer)
    page = text(client.get(f"/changes/{change.id}/edit"))
    assert 'value="Patch the file server"' in page and "Monthly patching" in page
    response = post(f"/changes/{change.id}/edit", form_data(company, people, title="Patch it all"))
    assert response.status_code == 302
    assert reload(db, change).title == "Patch it all"
    assert "CHG-000001 saved." in text(client.get(f"/changes/{change.id}"))


def test_edit_is_refused_outside_draft(client, login, engineer, pending_change):
    """A change past draft cannot be edited: a clear message on its page instead."""
    change = pending_change()
    login(engineer)
    response = client.get(f"/changes/{change.id}/edit", follow_redirects=True)
    assert response.request.path == f"/changes/{change.id}"
    assert "CHG-000001 is pending approval: only a draft can be edited." in text(response)
    assert f'href="/changes/{change.id}/edit"' not in text(response)


# --- Detail ----------------------------------------------------------------------------------


def test_detail_shows_fields_approvals_devices_and_unresolved_mentions(
    client, login, engineer, make_device, company, new_change, vcab
):
    """The overview lists every field, who approval waits on, linked devices and unresolved @names."""
    make_device("srv01", company=company, type_name="Server")
    change = new_change(description="Reboot @srv01 and @ghost99", requires_vcab=True,
                        window_start=WINDOW_START, window_end=WINDOW_END)
    apply(operations.submit, change, engineer)
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    for label in ("Description", "Reason", "Impact", "Implementation plan", "Rollback plan", "Test plan",
                  "Implementer", "Technical approver", "Operational approver", "Requires vCAB"):
        assert f"<dt>{label}</dt>" in page
    assert "Pending approval" in page and "01 May 2030 22:00" in page
    assert "Waiting on:" in page and "Tess Technical" in page and "Otto Operational" in page
    assert "0 of 2 needed" in page and "Val Vcab1" in page
    assert "srv01" in page and "Server" in page
    assert '<span class="mention-unresolved"' in page and "Unresolved: @ghost99" in page
    assert 'id="linked-ticket"' in page and "No ticket linked." in page


def test_timeline_tab_renders_full_page_and_htmx_partial(client, login, engineer, pending_change):
    """The Timeline tab works as a full page without JS and as a swapped partial with it."""
    change = pending_change()
    login(engineer)
    full = client.get(f"/changes/{change.id}?tab=timeline")
    page = text(full)
    assert "<html" in page and re.search(r'aria-selected="true"[^>]*>Timeline<', page)
    assert page.index("Submitted for approval") < page.index(f"Created {change.reference}")  # newest first
    assert "Erin Engineer" in page
    partial = client.get(f"/changes/{change.id}?tab=timeline", headers={"HX-Request": "true"})
    assert "<html" not in text(partial) and 'id="change-tabs"' in text(partial)
    assert "Submitted for approval" in text(partial) and "HX-Request" in partial.headers["Vary"]
    overview = client.get(f"/changes/{change.id}", headers={"HX-Request": "true"})
    assert 'id="approvals"' in text(overview) and "<html" not in text(overview)


def test_timeline_shows_window_and_outcome_in_viewers_timezone(client, login, make_user, in_progress_change, people, db):
    """The timeline shows the window in the viewer's timezone and the completion notes and test results."""
    change = in_progress_change()
    apply(operations.complete, change, people.implementer,
                    completion_notes="Patched and rebooted.", test_results="Shares reachable.")
    login(make_user("viewer", timezone="Pacific/Auckland"))
    page = text(client.get(f"/changes/{change.id}?tab=timeline"))
    assert "02 May 2030 10:00" in page and "(Pacific/Auckland)" in page  # 22:00 UTC on 1 May
    assert "Completion notes:</strong> Patched and rebooted." in page
    assert "Test results:</strong> Shares reachable." in page


def test_tabs_are_links_that_htmx_enhances(client, login, engineer, new_change):
    """Each tab is a real link, swapped in place by htmx with the URL pushed."""
    change = new_change()
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert f'href="/changes/{change.id}?tab=timeline"' in page
    assert f'hx-get="/changes/{change.id}?tab=timeline"' in page and 'hx-push-url="true"' in page


def test_comment_without_js_redirects_to_the_timeline(client, act, login, engineer, new_change):
    """A plain comment POST adds the comment and returns to the timeline tab."""
    change = new_change()
    login(engineer)
    response = act(change, "comment", text="Vendor confirmed the firmware")
    assert response.status_code == 302 and response.headers["Location"].endswith("?tab=timeline")
    page = text(client.get(response.headers["Location"]))
    assert "Vendor confirmed the firmware" in page and "Comment added." in page


def test_comment_with_htmx_returns_the_timeline_partial(act, login, engineer, new_change):
    """An htmx comment POST answers with the refreshed timeline alone, form emptied."""
    change = new_change()
    login(engineer)
    response = act(change, "comment", headers={"HX-Request": "true"}, text="Looks good")
    page = text(response)
    assert response.status_code == 200 and "<html" not in page
    assert '<section class="card" id="timeline">' in page and 'id="change-tabs"' not in page
    assert "Looks good" in page and "Looks good</textarea>" not in page


def test_empty_comment_shows_an_error(act, login, engineer, new_change):
    """An empty comment is refused with a field error (200, so htmx swaps it in)."""
    change = new_change()
    login(engineer)
    response = act(change, "comment", headers={"HX-Request": "true"}, text="  ")
    assert response.status_code == 200 and "This field is required." in text(response)


# --- Transitions -----------------------------------------------------------------------------


def test_whole_happy_path_through_the_forms(client, act, post, login_as, db, company, people, engineer, vcab):
    """Create, submit, approve (technical, operational, vCAB majority), schedule, start and complete."""
    login_as(engineer)
    assert post("/changes/new", form_data(company, people, requires_vcab="y")).status_code == 302
    change = db.session.scalar(select(Change))
    assert change.requires_vcab

    assert act(change, "submit").status_code == 302
    assert "Submitted for approval." in text(client.get(f"/changes/{change.id}"))
    assert reload(db, change).state == "pending_approval"

    for user, kind in ((people.technical, "technical"), (people.operational, "operational"),
                       (vcab[0], "vcab"), (vcab[1], "vcab")):
        login_as(user)
        page = text(client.get(f"/changes/{change.id}?action=decide"))
        assert "Approve as" in page
        response = act(change, "approve", kind=kind, comment=f"ok from {kind}")
        assert response.status_code == 302, text(response)
    assert "The change is now fully approved." in text(client.get(f"/changes/{change.id}"))
    change = reload(db, change)
    assert change.state == "approved"

    login_as(engineer)
    response = act(change, "schedule", window_start="2030-02-01T20:00", window_end="2030-02-01T22:00",
                   implementer_id=str(people.implementer.id))
    assert response.status_code == 302
    assert reload(db, change).state == "scheduled"

    login_as(people.implementer)
    assert "Start implementation" in text(client.get(f"/changes/{change.id}"))
    assert act(change, "start").status_code == 302
    assert reload(db, change).state == "in_progress"
    response = act(change, "complete", completion_notes="Swapped", test_results="All VLANs ping")
    assert response.status_code == 302
    change = reload(db, change)
    assert change.state == "completed" and change.test_results == "All VLANs ping"
    page = text(client.get(f"/changes/{change.id}"))
    assert "Change completed." in page and "All VLANs ping" in page


def test_single_pending_kind_shows_a_named_approve_button(client, login, people, pending_change):
    """The technical approver sees "Approve as technical approver"."""
    change = pending_change()
    login(people.technical)
    page = text(client.get(f"/changes/{change.id}?action=decide"))
    assert "Approve as technical approver" in page and "Reject as technical approver" in page
    assert 'name="decision-kind" value="technical"' in page


def test_reject_requires_a_comment(client, act, login, db, people, pending_change):
    """Rejecting without a reason is refused; with one the change returns to draft."""
    change = pending_change()
    login(people.technical)
    response = act(change, "reject", kind="technical", comment="")
    assert response.status_code == 200 and "This field is required." in text(response)
    assert reload(db, change).state == "pending_approval"
    response = act(change, "reject", kind="technical", comment="No rollback tested")
    assert response.status_code == 302
    assert reload(db, change).state == "draft"
    assert "back in draft" in text(client.get(f"/changes/{change.id}"))


def test_cancel_requires_a_reason_and_keeps_nothing_else_changed(client, act, login, db, engineer, new_change):
    """Cancelling needs a reason; with one the change is cancelled and shows it."""
    change = new_change()
    login(engineer)
    response = act(change, "cancel", reason="")
    assert response.status_code == 200 and "This field is required." in text(response)
    assert 'id="action-panel"' in text(response) and "Cancel the change</h2>" in text(response)
    assert reload(db, change).state == "draft"
    assert act(change, "cancel", reason="Customer postponed").status_code == 302
    page = text(client.get(f"/changes/{change.id}"))
    assert reload(db, change).state == "cancelled" and "Customer postponed" in page


def test_fail_requires_reason_and_rollback_notes_and_keeps_typed_text(client, act, login, db, people,
                                                                      in_progress_change):
    """Failing needs a reason and rollback notes; a missing one keeps what was typed."""
    change = in_progress_change()
    login(people.implementer)
    response = act(change, "fail", failure_reason="Switch would not boot", rollback_notes="")
    assert response.status_code == 200 and "Switch would not boot</textarea>" in text(response)
    assert reload(db, change).state == "in_progress"
    assert act(change, "fail", failure_reason="No boot", rollback_notes="Old switch back").status_code == 302
    assert reload(db, change).state == "failed"


def test_reschedule_form_is_prefilled_and_updates_the_window(client, act, login, db, engineer, people,
                                                            scheduled_change):
    """While scheduled, the Reschedule form shows the current window and saves a new one."""
    change = scheduled_change()
    login(engineer)
    page = text(client.get(f"/changes/{change.id}?action=schedule"))
    assert "Reschedule" in page and 'type="datetime-local" value="2030-05-01T22:00"' in page
    assert f'<option selected value="{people.implementer.id}">' in page
    response = act(change, "schedule", window_start="2030-05-02T22:00", window_end="2030-05-02T23:00",
                   implementer_id=str(people.implementer.id))
    assert response.status_code == 302
    assert reload(db, change).window_start == WINDOW_START + timedelta(days=1)


def test_schedule_with_end_before_start_shows_the_error(act, login, db, engineer, people, approved_change):
    """A window that ends before it starts is refused next to the field."""
    change = approved_change()
    login(engineer)
    response = act(change, "schedule", window_start="2030-05-02T22:00", window_end="2030-05-02T21:00",
                   implementer_id=str(people.implementer.id))
    assert response.status_code == 200 and "The implementation window must end after it starts." in text(response)
    assert reload(db, change).state == "approved"


def test_double_submit_shows_a_clear_message_and_changes_nothing(act, login, db, engineer, new_change):
    """Submitting twice (a stale tab) explains why and leaves the change as it was."""
    change = new_change()
    login(engineer)
    assert act(change, "submit").status_code == 302
    before = reload(db, change).version
    response = act(change, "submit")
    assert response.status_code == 200
    assert "You can only submit a change that is draft; this one is pending approval." in text(response)
    assert 'flash-error' in text(response)
    assert reload(db, change).version == before


def test_approving_twice_is_refused_with_a_message(act, login, db, people, pending_change):
    """A second approval from the same approver is refused and records nothing."""
    change = pending_change()
    login(people.technical)
    assert act(change, "approve", kind="technical").status_code == 302
    response = act(change, "approve", kind="technical")
    assert "You have already approved this change." in text(response)
    assert len(reload(db, change).approvals) == 1


def test_forms_only_show_for_users_allowed_to_use_them(client, login_as, make_user, engineer, people,
                                                     pending_change):
    """Only the approvers see approve/reject; only the requester (of the engineers) sees cancel."""
    change = pending_change()
    login_as(make_user("engineer"))
    page = text(client.get(f"/changes/{change.id}?action=decide"))
    assert "Approve" not in page and f'/changes/{change.id}/reject"' not in page
    assert "Cancel change…" not in page
    login_as(engineer)
    page = text(client.get(f"/changes/{change.id}?action=decide"))
    assert "Cancel change…" in page
    assert f'action="/changes/{change.id}/submit"' not in page and "Approve" not in page
    login_as(people.operational)
    page = text(client.get(f"/changes/{change.id}?action=decide"))
    assert "Approve as operational approver" in page and f'formaction="/changes/{change.id}/reject"' in page


def test_only_the_implementer_sees_start(client, login_as, make_user, people, scheduled_change):
    """Start implementation is offered to the implementer, not to unrelated engineers."""
    change = scheduled_change()
    login_as(make_user("engineer"))
    assert "Start implementation" not in text(client.get(f"/changes/{change.id}"))
    login_as(people.implementer)
    assert "Start implementation" in text(client.get(f"/changes/{change.id}"))


# --- Access ----------------------------------------------------------------------------------

ACTIONS = ("submit", "approve", "reject", "schedule", "start", "complete", "fail", "cancel", "comments")


def test_viewer_sees_no_forms(client, login, viewer, new_change):
    """A viewer reads the change and timeline but gets no action or comment forms."""
    change = new_change()
    login(viewer)
    page = text(client.get(f"/changes/{change.id}")) + text(client.get(f"/changes/{change.id}?tab=timeline"))
    assert "<form method=\"post\" action=\"/changes" not in page
    assert "Patch the file server" in page and "Add a comment" not in page and ">Edit<" not in page


@pytest.mark.parametrize("url", ["/changes/new", "/changes/{id}/edit", *(f"/changes/{{id}}/{a}" for a in ACTIONS)])
def test_viewer_gets_403_on_every_post(post, login, viewer, new_change, url):
    """Every change POST is forbidden to a viewer and changes nothing."""
    change = new_change()
    login(viewer)
    before = committed_rows()
    assert post(url.format(id=change.id), {"title": "Hijack", "cancel-reason": "x", "comment-text": "x"}).status_code == 403
    assert committed_rows() == before


@pytest.mark.parametrize("url", ["/changes/new", "/changes/{id}/edit"])
def test_viewer_cannot_open_the_change_form(client, login, viewer, new_change, url):
    """A viewer cannot open the new or edit form."""
    change = new_change()
    login(viewer)
    assert client.get(url.format(id=change.id)).status_code == 403


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_post_without_csrf_token_is_refused(client, login, db, engineer, new_change, headers):
    """A POST without the CSRF token is refused, htmx or not."""
    change = new_change()
    login(engineer)
    response = client.post(f"/changes/{change.id}/submit", headers=headers)
    assert response.status_code == 400
    assert client.post(f"/changes/{change.id}/comments", data={"comment-text": "x"},
                       headers=headers).status_code == 400
    assert reload(db, change).state == "draft"


@pytest.fixture
def foreign_change(db, make_org, make_change, make_user):
    other = make_org("Other MSP")
    return make_change(organisation=other, created_by=make_user("admin", organisation=other))


@pytest.mark.parametrize("url", ["/changes/{id}", "/changes/{id}?tab=timeline", "/changes/{id}/edit"])
def test_foreign_change_pages_are_404(client, login, admin, foreign_change, url):
    """Another organisation's change does not exist for this user."""
    login(admin)
    assert client.get(url.format(id=foreign_change.id)).status_code == 404


@pytest.mark.parametrize("action", ("edit", *ACTIONS))
def test_foreign_change_posts_are_404(post, login, admin, foreign_change, action):
    """Acting on another organisation's change is a 404 that changes nothing."""
    login(admin)
    before = committed_rows()
    assert post(f"/changes/{foreign_change.id}/{action}", {"title": "Hijack", "cancel-reason": "x"}).status_code == 404
    assert committed_rows() == before


def test_foreign_changes_never_appear_in_the_list(client, login, admin, foreign_change):
    """The list and its search never show another organisation's changes."""
    login(admin)
    assert foreign_change.title not in text(client.get("/changes"))
    assert foreign_change.title not in text(client.get("/changes?q=CHG-1"))


def test_linked_device_rows_come_from_the_change(db, client, login, engineer, make_device, company, new_change):
    """A device linked by mention appears with its company on the overview."""
    make_device("nas01", company=company, type_name="Storage")
    change = new_change(description="Expand @nas01")
    assert db.session.scalar(select(ChangeDevice)).device.hostname == "nas01"
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert "nas01" in page and "Storage" in page and "Unresolved" not in page
