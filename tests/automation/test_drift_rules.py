"""Drift check rules without ConnectWise or a database: what an open change's ticket should show
(expected state) and how a ticket is compared with it, in plain words."""
from datetime import datetime, timedelta, timezone

import pytest

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.drift.compare import compare, describe
from cbcw.connectwise.drift.expected import expected_state
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.models import ConnectWiseSettings

START = datetime(2030, 12, 10, 22, 0, tzinfo=timezone.utc)
END = START + timedelta(hours=1)
PEOPLE = {n: User(id=n, display_name=name) for n, name in
          ((1, "Cara Creator"), (2, "Tom Tech"), (3, "Olga Ops"), (4, "Ivan Implementer"), (5, "Vic Vcab"), (6, "Nia Nomatch"))}
MEMBERS = {1: 101, 2: 102, 3: 103, 4: 104, 5: 105}  # user 6 has no ConnectWise member


def _settings(auto=True, **names):
    defaults = {"status_change_created": "Change Created", "status_fully_approved": "Fully Approved",
                "status_change_scheduled": "Change Scheduled", "status_change_completed": "Change Completed",
                "status_change_cancelled": "Change Cancelled"}
    return ConnectWiseSettings(auto_update_status=auto, **{**defaults, **names})


def _change(state, ticket=5001, vcab=False, **fields):
    values = dict(id=7, organisation_id=1, state=state, linked_ticket_id=ticket, linked_ticket_system=TICKET_SYSTEM,
                  requires_vcab=vcab, created_by_id=1,
                  technical_approver_id=2, operational_approver_id=3, implementer_id=4,
                  window_start=START, window_end=END)
    return Change(**{**values, **fields})


def _expected(change, settings=None, members=MEMBERS):
    return expected_state(change, settings or _settings(), members, PEOPLE.get, [PEOPLE[5]])


def _when(moment, fmt):
    return moment.astimezone(timezone.utc).strftime(fmt)


@pytest.mark.parametrize("state, status", [
    ("draft", "Change Created"), ("pending_approval", "Change Created"), ("approved", "Fully Approved"),
    ("scheduled", "Change Scheduled"), ("in_progress", "Change Scheduled"), ("failed", "Change Scheduled")])
def test_each_open_state_expects_the_status_of_its_last_status_setting_event(state, status):
    """The expected status is the one the last status-setting event before that state set."""
    assert _expected(_change(state)).status == status


@pytest.mark.parametrize("state", ["completed", "cancelled"])
def test_closed_changes_and_changes_without_a_ticket_expect_nothing(state):
    """Completed and cancelled changes, and open ones with no linked ticket, are not checked."""
    assert _expected(_change(state)) is None
    assert _expected(_change("scheduled", ticket=None)) is None


def test_status_is_expected_only_with_auto_update_and_a_name():
    """With Auto-Update off, or no name for that event, the status is not ours to check."""
    assert _expected(_change("approved"), _settings(auto=False)).status is None
    assert _expected(_change("approved"), _settings(status_fully_approved="  ")).status is None


def test_before_scheduling_the_resources_are_creator_approvers_and_vcab_members_without_window():
    """Linked: creator, both approvers and (when required) the vCAB, all without dates; the
    implementer is not a resource yet; a user with no ConnectWise member is left out."""
    expected = _expected(_change("approved", vcab=True))
    assert {(r.user.id, r.member_id, r.window) for r in expected.resources} == {
        (1, 101, None), (2, 102, None), (3, 103, None), (5, 105, None)}
    assert {r.user.id for r in _expected(_change("approved", operational_approver_id=6)).resources} == {1, 2}


def test_once_scheduled_the_implementer_and_approvers_carry_the_window():
    """Scheduled: the implementer and the approvers have the window; the creator and vCAB stay undated."""
    expected = _expected(_change("in_progress", vcab=True))
    windows = {r.user.id: r.window for r in expected.resources}
    assert windows == {1: None, 2: (START, END), 3: (START, END), 4: (START, END), 5: None}


def test_a_creator_who_implements_has_one_resource_with_the_window_and_both_roles():
    """The same person in two roles is one resource: with the window, roles merged."""
    [creator] = [r for r in _expected(_change("scheduled", implementer_id=1)).resources if r.user.id == 1]
    assert creator.window == (START, END) and creator.roles == ("creator", "implementer")


def _ticket(status="Change Scheduled"):
    return {"id": 5001, "status": {"id": 9, "name": status}}


def _entry(member, start=None, end=None):
    entry = {"id": member * 10, "objectId": 5001, "member": {"id": member}}
    if start:
        entry |= {"dateStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "dateEnd": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return entry


def _matching_entries():
    return [_entry(101), _entry(102, START, END), _entry(103, START, END), _entry(104, START, END)]


def test_a_matching_ticket_has_no_problems():
    """Same status (any case), every member present, the window on those who need it: no mismatch;
    an extra resource added by hand in ConnectWise is not a mismatch."""
    expected = _expected(_change("scheduled"))
    assert compare(expected, _ticket("change SCHEDULED"), _matching_entries() + [_entry(999)]) == []


def test_each_kind_of_mismatch_is_found_and_said_in_plain_words():
    """Another status, a missing member and a moved window are each a line naming the person."""
    expected = _expected(_change("scheduled"))
    entries = [_entry(101), _entry(103, START, END), _entry(104, START + timedelta(hours=2), END + timedelta(hours=2))]
    problems = compare(expected, _ticket("In Progress"), entries)
    assert [describe(p, 5001, _when) for p in problems] == [
        "Status is “In Progress”, expected “Change Scheduled”.",
        "Tom Tech is not a resource (expected with the implementation window 10 Dec 2030 22:00–23:00).",
        "Window of Ivan Implementer is 11 Dec 2030 00:00–01:00, expected 10 Dec 2030 22:00–23:00.",
    ]


def test_an_undated_entry_where_a_window_belongs_and_a_gone_ticket():
    """A member with only an undated entry lacks the window; a ticket not found is one finding."""
    expected = _expected(_change("scheduled"))
    entries = [_entry(101), _entry(102), _entry(103, START, END), _entry(104, START, END)]
    [problem] = compare(expected, _ticket(), entries)
    assert describe(problem, 5001, _when) == \
        "Tom Tech has no implementation window on the ticket, expected 10 Dec 2030 22:00–23:00."
    [gone] = compare(expected, None, [])
    assert describe(gone, 5001, _when).startswith("Ticket #5001 no longer exists in ConnectWise")


def test_odd_shapes_from_connectwise_read_as_absent_not_as_errors():
    """A status that is not an object, dates that are not dates, a member that is not a reference:
    each reads as missing, so the finding says so instead of the check failing."""
    expected = _expected(_change("scheduled"))
    entries = [{"id": 1, "member": "101"}, {"id": 2, "member": {"id": 102}, "dateStart": 5, "dateEnd": "soon"},
               _entry(103, START, END), _entry(104, START, END)]
    problems = compare(expected, {"id": 5001, "status": "Change Scheduled"}, entries)
    assert [(p["kind"], p.get("name")) for p in problems] == [
        ("status", None), ("missing", "Cara Creator"), ("window", "Tom Tech")]
    assert describe(problems[0], 5001, _when) == "Status is not set, expected “Change Scheduled”."
