"""Two people acting at once must not corrupt a change nor double a side effect (§2.2).

These tests need a database that several connections share: a SQLite file under tmp_path, or
the PostgreSQL server named by DATABASE_URL. Each worker thread pushes its own app context,
so it has its own session and connection; a Barrier makes every worker load the change before
any of them writes.
"""
import re
import threading

import pytest

from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import ChangeFields
from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.changes.unit_of_work import apply
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation
from tests.fixtures.shared_database import make_shared_app


@pytest.fixture
def cast(shared_app):
    """An organisation with a company, an engineer, both approvers and three vCAB members (ids)."""
    with shared_app.app_context():
        org = Organisation(name="Race MSP")
        db.session.add(org)
        db.session.flush()
        company = Company(organisation_id=org.id, name="Acme")
        db.session.add(company)

        def user(name, role="engineer", vcab_member=False):
            person = User(organisation_id=org.id, email=f"{name}@example.test", display_name=name,
                          role=role, vcab_member=vcab_member, password_hash="!never-logs-in")
            db.session.add(person)
            return person

        people = {
            "engineer": user("engineer"),
            "technical": user("technical"),
            "operational": user("operational", "msp"),
            **{f"vcab{n}": user(f"vcab{n}", vcab_member=True) for n in range(3)},
        }
        db.session.commit()
        ids = {name: person.id for name, person in people.items()}
        ids.update(org=org.id, company=company.id)
        return ids


@pytest.fixture
def pending(shared_app, cast):
    """Create and submit a change in the shared database; returns (change id, version)."""

    def make(requires_vcab=False, approve_first=()):
        with shared_app.app_context():
            engineer = db.session.get(User, cast["engineer"])
            change = operations.create_change(cast["org"], engineer, ChangeFields(
                title="Race", company_id=cast["company"], requires_vcab=requires_vcab,
                technical_approver_id=cast["technical"],
                operational_approver_id=cast["operational"],
            ))
            db.session.commit()
            apply(operations.submit, change, engineer)
            for kind in approve_first:
                apply(operations.approve, change, db.session.get(User, cast[kind]), kind=kind)
            return change.id, change.version

    return make


def race(app, change_id, moves):
    """Run each (user id, operation, kwargs) in its own thread, all loaded before any writes.

    Returns the outcome per move ("ok" or the LifecycleError message) and how many times
    operations ran in all (a retry after a conflict runs one again).
    """
    barrier = threading.Barrier(len(moves))
    outcomes = [None] * len(moves)
    attempts = []

    def counted(operation):
        def run(change, actor, **kwargs):
            attempts.append(operation.__name__)
            return operation(change, actor, **kwargs)

        return run

    def worker(index, user_id, operation, kwargs):
        with app.app_context():
            try:
                change = db.session.get(Change, change_id)
                actor = db.session.get(User, user_id)
                assert change.state and change.approvals is not None  # everything loaded
                barrier.wait(timeout=10)
                apply(counted(operation), change, actor, **kwargs)
                outcomes[index] = "ok"
            except LifecycleError as refused:
                outcomes[index] = str(refused)
            except Exception as error:  # surfaced by the assertions below
                outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i, *move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes, len(attempts)


def _load(app, change_id):
    with app.app_context():
        change = db.session.get(Change, change_id)
        approvals = db.session.scalars(
            db.select(Approval).filter_by(change_id=change_id).order_by(Approval.id)).all()
        kinds = db.session.scalars(
            db.select(TimelineEntry.kind).filter_by(change_id=change_id)).all()
        return change.state, change.version, [(a.kind, a.approver_id) for a in approvals], kinds


def test_two_approvers_at_once_complete_the_round_exactly_once(shared_app, cast, pending, signal_log):
    """Simultaneous technical and operational approvals: both recorded, approved once."""
    change_id, version = pending()
    signal_log.clear()
    outcomes, attempts = race(shared_app, change_id, [
        (cast["technical"], operations.approve, {"kind": "technical"}),
        (cast["operational"], operations.approve, {"kind": "operational"}),
    ])
    assert outcomes == ["ok", "ok"]
    assert attempts == 3  # the second writer really conflicted and retried
    state, new_version, approvals, timeline = _load(shared_app, change_id)
    assert state == "approved"
    assert sorted(approvals) == [("operational", cast["operational"]), ("technical", cast["technical"])]
    assert new_version == version + 2
    assert signal_log.names().count("change-fully-approved") == 1
    assert sorted(kw["kind"] for kw in signal_log.of("approval-recorded")) == ["operational", "technical"]
    assert timeline.count("fully_approved") == 1 and timeline.count("approved") == 2


def test_the_same_approver_twice_at_once_records_one_approval(shared_app, cast, pending, signal_log):
    """A double-submitted approval: one succeeds, the other gets the clear refusal."""
    change_id, version = pending()
    signal_log.clear()
    move = (cast["technical"], operations.approve, {"kind": "technical"})
    outcomes, attempts = race(shared_app, change_id, [move, move])
    assert attempts == 3
    assert sorted(outcomes, key=str) == [
        "Someone else updated this change a moment ago: You have already approved this change.",
        "ok",
    ]
    state, new_version, approvals, _ = _load(shared_app, change_id)
    assert state == "pending_approval" and new_version == version + 1
    assert approvals == [("technical", cast["technical"])]
    assert signal_log.names() == ["approval-recorded"]


def test_the_same_approver_twice_in_a_row_is_refused(shared_app, cast, pending):
    """Approving again after a committed approval is refused and leaves one row."""
    change_id, _ = pending()
    with shared_app.app_context():
        change = db.session.get(Change, change_id)
        technical = db.session.get(User, cast["technical"])
        apply(operations.approve, change, technical, kind="technical")
        with pytest.raises(LifecycleError, match="^You have already approved this change.$"):
            apply(operations.approve, change, technical, kind="technical")
    assert _load(shared_app, change_id)[2] == [("technical", cast["technical"])]


def test_concurrent_vcab_votes_never_double_complete(shared_app, cast, pending, signal_log):
    """Three vCAB members voting at once (two needed): approved exactly once, no vote lost."""
    change_id, _ = pending(requires_vcab=True, approve_first=("technical", "operational"))
    signal_log.clear()
    outcomes, _ = race(shared_app, change_id, [
        (cast[f"vcab{n}"], operations.approve, {"kind": "vcab"}) for n in range(3)
    ])
    late = re.compile(r"Someone else updated this change a moment ago: "
                      r"(.* this one is approved\.|please reload the page and try again\.)")
    assert all(outcome == "ok" or late.fullmatch(str(outcome)) for outcome in outcomes), outcomes
    succeeded = outcomes.count("ok")
    assert succeeded >= 2
    state, _, approvals, timeline = _load(shared_app, change_id)
    assert state == "approved"
    assert len([a for a in approvals if a[0] == "vcab"]) == succeeded
    assert signal_log.names().count("change-fully-approved") == 1
    assert len(signal_log.of("approval-recorded")) == succeeded
    assert timeline.count("fully_approved") == 1


def test_approval_racing_a_rejection_leaves_a_consistent_change(shared_app, cast, pending, signal_log):
    """An approval and a rejection at once: the change ends in draft and nothing is half done."""
    change_id, _ = pending()
    signal_log.clear()
    outcomes, _ = race(shared_app, change_id, [
        (cast["technical"], operations.approve, {"kind": "technical"}),
        (cast["operational"], operations.reject, {"kind": "operational", "comment": "No"}),
    ])
    assert outcomes[1] == "ok"
    assert outcomes[0] == "ok" or re.fullmatch(
        r"Someone else updated this change a moment ago: (.* this one is draft\.|please reload the page and try again\.)",
        str(outcomes[0])), outcomes
    state, _, approvals, _ = _load(shared_app, change_id)
    assert state == "draft"
    assert "change-fully-approved" not in signal_log.names()
    assert ("operational", cast["operational"]) in approvals
    assert len(approvals) == 1 + (outcomes[0] == "ok")


def test_twenty_comments_at_once_all_succeed(shared_app, shared_database_url, cast, pending):
    """Twenty people commenting on one change at the same moment: every comment is kept, none
    conflicts or retries, and the change itself is untouched."""
    change_id, version = pending()
    people = [cast[name] for name in ("engineer", "technical", "operational", "vcab0", "vcab1")]
    # Twenty threads hold a connection each while they wait for one another.
    wide = make_shared_app(shared_database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20})
    try:
        outcomes, attempts = race(wide, change_id, [
            (people[n % len(people)], operations.add_comment, {"text": f"Comment {n}"})
            for n in range(20)
        ])
    finally:
        with wide.app_context():
            db.engine.dispose()
    assert outcomes == ["ok"] * 20
    assert attempts == 20
    state, new_version, _, timeline = _load(shared_app, change_id)
    assert timeline.count("comment") == 20
    assert (state, new_version) == ("pending_approval", version)


def test_concurrent_creations_get_distinct_numbers(shared_app, cast):
    """Two changes created at the same moment get consecutive, different numbers."""
    barrier = threading.Barrier(2)
    numbers, failures = [], []

    def create():
        with shared_app.app_context():
            try:
                engineer = db.session.get(User, cast["engineer"])
                barrier.wait(timeout=10)
                change = operations.create_change(cast["org"], engineer, ChangeFields(title="Parallel"))
                db.session.commit()
                numbers.append(change.number)
            except Exception as error:
                failures.append(error)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == [] and sorted(numbers) == [1, 2]
    with shared_app.app_context():
        assert db.session.get(Organisation, cast["org"]).change_counter == 2
