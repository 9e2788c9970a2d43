"""Two people acting at once on an emergency change (PRODUCT §2.2, §2.7): two ECAB members
approving, two reviews recorded; one wins, the other is told, nothing is doubled."""
import re

import pytest

from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields
from cbcw.changes.models import Change
from cbcw.changes.type_models import ChangeReview
from cbcw.changes.unit_of_work import apply
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation
from tests.changes.conftest import WINDOW_END, WINDOW_START
from tests.changes.test_concurrency import _load, race

# A move that lost the race: refused after a conflict, or plainly when it read the winner's commit.
LOSER = re.compile(r"^Someone else updated this change a moment ago: ")
REVIEW = dict(what_was_done="Restarted", why_urgent="Down", outcome="Up", follow_ups="None")


@pytest.fixture
def emergency(shared_app):
    """An emergency change awaiting its ECAB approval, and two ECAB members (ids)."""
    with shared_app.app_context():
        org = Organisation(name="Emergency MSP")
        db.session.add(org)
        db.session.flush()
        company = Company(organisation_id=org.id, name="Acme")
        people = [User(organisation_id=org.id, email=f"{name}@example.test", display_name=name, role="engineer",
                       ecab_member=name != "requester", password_hash="!never-logs-in")
                  for name in ("requester", "ecab1", "ecab2")]
        db.session.add_all([company, *people])
        db.session.commit()
        change = operations.create_change(org.id, people[0], ChangeFields(
            title="Storage down", company_id=company.id, change_type="emergency"))
        db.session.commit()
        apply(operations.submit, change, people[0])
        return change.id, change.version, {p.display_name: p.id for p in people}


def test_two_ecab_members_at_once_approve_it_exactly_once(shared_app, emergency, signal_log):
    change_id, version, ids = emergency
    signal_log.clear()
    outcomes, _ = race(shared_app, change_id, [
        (ids["ecab1"], operations.approve, {"kind": "ecab"}),
        (ids["ecab2"], operations.approve, {"kind": "ecab"}),
    ])
    loser, winner = sorted(outcomes, key=str)
    # The loser read the change before the winner committed (a conflict) or after (plainly refused).
    assert winner == "ok" and LOSER.sub("", loser).startswith(
        "You can only approve or reject a change that is pending approval")
    state, new_version, approvals, timeline = _load(shared_app, change_id)
    assert state == "approved" and new_version == version + 1 and len(approvals) == 1
    assert signal_log.names().count("change-fully-approved") == 1 and timeline.count("fully_approved") == 1


def test_two_reviews_at_once_record_one(shared_app, emergency, signal_log):
    change_id, _, ids = emergency
    with shared_app.app_context():
        change, requester = db.session.get(Change, change_id), db.session.get(User, ids["requester"])
        apply(operations.approve, change, db.session.get(User, ids["ecab1"]), kind="ecab")
        apply(operations.schedule, change, requester, window_start=WINDOW_START, window_end=WINDOW_END,
              implementer_id=requester.id)
        apply(operations.start_implementation, change, requester)
        apply(operations.complete, change, requester, completion_notes="Done", test_results="OK")
    signal_log.clear()
    move = (ids["requester"], operations.record_review, REVIEW)
    outcomes, _ = race(shared_app, change_id, [move, move])
    loser, winner = sorted(outcomes, key=str)
    assert winner == "ok" and LOSER.sub("", loser) == "This change's review is already recorded."
    with shared_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ChangeReview)
                                 .filter_by(change_id=change_id)) == 1
    assert signal_log.names() == ["review-recorded"]
