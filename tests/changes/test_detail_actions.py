"""The detail page's action toolbar and panels, and how it shows a change's outcome."""
import re
from datetime import timedelta

import pytest

from cbcw.changes import operations, routes
from cbcw.changes.unit_of_work import apply
from tests.helpers.clock import FROZEN_NOW


def text(response) -> str:
    return response.get_data(as_text=True)


def submit_buttons(page: str) -> list[str]:
    """The labels of every submit button on the page."""
    return [re.sub(r"\s+", " ", label).strip()
            for label in re.findall(r'<button type="submit"[^>]*>(.*?)</button>', page, re.S)]


def test_no_panel_is_open_until_asked_and_then_exactly_one(client, login, engineer, new_change):
    """The toolbar opens panels by link (?action=…); only the asked-for panel is shown."""
    change = new_change()
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert 'id="action-panel"' not in page
    assert f'href="/changes/{change.id}?action=cancel#change-actions"' in page
    page = text(client.get(f"/changes/{change.id}?action=cancel"))
    assert page.count('id="action-panel"') == 1 and "Cancel the change</h2>" in page
    assert 'aria-expanded="true"' in page and page.count('aria-expanded="true"') == 1


def test_each_decision_has_exactly_one_button(client, login, people, pending_change):
    """An approver's open decision panel has one Approve and one Reject button, and the toolbar none."""
    change = pending_change()
    login(people.technical)
    page = text(client.get(f"/changes/{change.id}?action=decide"))
    buttons = submit_buttons(page)
    assert buttons.count("Approve as technical approver") == 1 and buttons.count("Reject as technical approver") == 1
    assert not [b for b in buttons if b.startswith("Approve") and b != "Approve as technical approver"]
    closed = submit_buttons(text(client.get(f"/changes/{change.id}")))
    assert not [b for b in closed if "Approve" in b or "Reject" in b]


def test_a_panel_the_user_may_not_use_is_never_opened(client, login, engineer, pending_change):
    """?action=decide for someone who is not an approver, or an unknown panel, just shows the page."""
    change = pending_change()
    login(engineer)
    for action in ("decide", "explode", "x" * 500):
        response = client.get(f"/changes/{change.id}", query_string={"action": action})
        assert response.status_code == 200 and 'id="action-panel"' not in text(response)


def test_htmx_opens_a_panel_by_swapping_only_the_actions(client, login, engineer, new_change):
    """With htmx, a toolbar link gets back just the actions section with its panel open."""
    change = new_change()
    login(engineer)
    response = client.get(f"/changes/{change.id}?action=cancel",
                          headers={"HX-Request": "true", "HX-Target": "change-actions"})
    page = text(response)
    assert page.lstrip().startswith('<section class="change-actions" id="change-actions"')
    assert "Cancel the change</h2>" in page and "<html" not in page and 'id="change-tabs"' not in page
    assert 'hx-target="#change-actions"' in page


def test_invalid_decision_reopens_the_decision_panel_with_the_error(csrf_token, client, login, db, people, pending_change):
    """Rejecting without a comment shows the decision panel again, open, saying why."""
    change = pending_change()
    login(people.technical)
    response = client.post(f"/changes/{change.id}/reject", data={
        "decision-kind": "technical", "decision-comment": "",
        "decision-csrf_token": csrf_token()})
    page = text(response)
    assert response.status_code == 200 and "Your decision</h2>" in page and "This field is required." in page


def test_a_rejected_draft_says_who_rejected_which_approval_when_and_why_until_resubmitted(
        client, login, engineer, people, pending_change):
    """A draft rejected in its last round shows the rejection (approval, who, when, reason) on its overview."""
    change = pending_change()
    apply(operations.approve, change, people.operational, kind="operational")
    apply(operations.reject, change, people.technical, kind="technical", comment="No rollback for the RAID driver")
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    notice = page[page.index('id="rejection"'):page.index("<h2>Details</h2>")]
    assert "Technical approval" in notice and "rejected by Tess Technical" in notice
    assert "No rollback for the RAID driver" in notice and "<time datetime=" in notice
    assert "Otto Operational" not in notice
    apply(operations.submit, change, engineer)
    assert 'id="rejection"' not in text(client.get(f"/changes/{change.id}"))


def test_marking_failed_is_a_warning_not_a_success(csrf_token, client, login, people, in_progress_change):
    """"Change marked as failed." is flashed as a warning, never as a green success."""
    change = in_progress_change()
    login(people.implementer)
    response = client.post(f"/changes/{change.id}/fail", data={
        "fail-failure_reason": "Disk did not mount", "fail-rollback_notes": "Old disk back",
        "fail-csrf_token": csrf_token()}, follow_redirects=True)
    page = text(response)
    assert '<div class="flash flash-warning" role="status">Change marked as failed.</div>' in page
    assert "flash-success" not in page


def test_failed_change_leads_with_failure_reason_and_rollback_notes(client, login, engineer, people, in_progress_change):
    """A failed change's page starts with the failure reason and rollback notes, before the actions."""
    change = in_progress_change()
    apply(operations.fail, change, people.implementer, failure_reason="Disk did not mount",
                    rollback_notes="Old disk back in")
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    outcome = page.index('id="outcome"')
    assert outcome < page.index('id="change-actions"') < page.index('id="change-tabs"')
    assert "Failed: rollback required" in page and 'class="card outcome outcome-bad"' in page
    assert page.index("Disk did not mount") > outcome and page.count("Disk did not mount") == 1
    assert "Old disk back in" in page


def test_completed_change_leads_with_completion_notes_and_test_results(client, login, engineer, people,
                                                                      in_progress_change):
    """A completed change's page starts with its completion notes and test results."""
    change = in_progress_change()
    apply(operations.complete, change, people.implementer, completion_notes="Firmware 10.13 on",
                    test_results="LACP stable")
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert page.index('id="outcome"') < page.index('id="change-tabs"')
    assert "Firmware 10.13 on" in page and "LACP stable" in page and "outcome-ok" in page


def test_rescheduled_after_failure_shows_no_outcome_but_keeps_the_failure_on_record(
        client, login, engineer, people, in_progress_change):
    """Once a failed change is scheduled again, it no longer leads with the old failure, which stays in Record."""
    change = in_progress_change()
    apply(operations.fail, change, people.implementer, failure_reason="Disk did not mount",
                    rollback_notes="Old disk back in")
    apply(operations.schedule, change, engineer, window_start=change.window_start,
                    window_end=change.window_end, implementer_id=people.implementer.id)
    login(engineer)
    page = text(client.get(f"/changes/{change.id}"))
    assert 'id="outcome"' not in page and "Disk did not mount" in page


def _reschedule(change, actor, start, end, implementer):
    apply(operations.schedule, change, actor, window_start=start, window_end=end, implementer_id=implementer.id)


@pytest.fixture
def page_clock(monkeypatch):
    """The detail page's clock, stopped at FROZEN_NOW: whether now is before, in or after a window."""
    monkeypatch.setattr(routes, "utcnow", lambda: FROZEN_NOW)
    return FROZEN_NOW


def test_starting_before_the_window_asks_first(client, login, people, scheduled_change, page_clock):
    """Before the window, Start opens a panel saying the window has not started; no one-click start."""
    change = scheduled_change()  # window in 2030
    login(people.implementer)
    page = text(client.get(f"/changes/{change.id}"))
    assert "Start implementation" not in submit_buttons(page)
    assert f'href="/changes/{change.id}?action=start#change-actions"' in page and "Start implementation…" in page
    panel = text(client.get(f"/changes/{change.id}?action=start"))
    assert "has not started yet" in panel and "Start now" in submit_buttons(panel)


def test_starting_after_the_window_asks_first(client, login, engineer, people, scheduled_change, page_clock):
    """After the window has ended, the panel says so."""
    change = scheduled_change()
    _reschedule(change, engineer, page_clock - timedelta(hours=5), page_clock - timedelta(hours=3), people.implementer)
    login(people.implementer)
    assert "has already ended" in text(client.get(f"/changes/{change.id}?action=start"))


def test_starting_inside_the_window_is_one_button(client, login, post, engineer, people, scheduled_change, db,
                                                   page_clock):
    """Inside the window Start is a single button (no panel, even when asked for one) and starts the change."""
    change = scheduled_change()
    _reschedule(change, engineer, page_clock - timedelta(hours=1), page_clock + timedelta(hours=1), people.implementer)
    login(people.implementer)
    page = text(client.get(f"/changes/{change.id}?action=start"))
    assert "Start implementation" in submit_buttons(page) and 'id="action-panel"' not in page
    assert post(f"/changes/{change.id}/start", {}).status_code == 302
    db.session.refresh(change)
    assert change.state == "in_progress"
