"""`flask seed-demo`: a demo history that reads as it happened, and a demo that follows the simulator's port."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.settings import mappings
from cbcw.demo.seed import demo_organisation, seed_demo

# Seeded at any hour, the history must read the same: just after midnight, at 03:30 (main's CI once
# failed then), just before midnight, late on a Saturday (the demo's windows are "next Saturday"), and
# in the night London moves to summer time.
SEEDED_AT = ("2026-12-08T00:01", "2026-12-08T03:30", "2026-12-08T23:59", "2026-12-12T23:59", "2027-03-28T00:30")


@pytest.mark.parametrize("seeded_at", SEEDED_AT)
def test_demo_history_is_spread_over_past_days_in_order(db, seeded_at):
    """Each demo change's steps are hours or days apart, in order, all in the past; approvals match their entries."""
    now = datetime.fromisoformat(seeded_at).replace(tzinfo=timezone.utc)
    seed_demo(now=now)
    changes = list(db.session.scalars(select(Change)))
    assert len({c.created_at.date() for c in changes}) == len(changes)  # no two created the same day
    for change in changes:
        entries = list(db.session.scalars(select(TimelineEntry).where(TimelineEntry.change_id == change.id)
                                          .order_by(TimelineEntry.id)))
        times = [e.created_at for e in entries]
        assert times == sorted(times) and times[0] == change.created_at and times[-1] == change.updated_at
        assert times[-1] < now and change.created_at < now - timedelta(hours=12)
        if change.state != "draft":  # a draft has only its creation (and the devices it links then)
            assert times[-1] - times[0] >= timedelta(hours=2)
        if change.state == "scheduled":
            assert now < change.window_start < now + timedelta(days=8)
        for approval in db.session.scalars(select(Approval).where(Approval.change_id == change.id)):
            assert any(e.kind == "approved" and e.actor_id == approval.approver_id
                       and e.created_at == approval.decided_at for e in entries)


def test_completed_demo_change_started_and_ended_inside_its_window(db, seeded_demo):
    """The completed demo change was started and completed within its window, after it was scheduled."""
    change = db.session.scalar(select(Change).where(Change.state == "completed"))
    assert change.window_start <= change.actual_start_at < change.actual_end_at <= change.window_end
    scheduled = db.session.scalar(select(TimelineEntry.created_at).where(
        TimelineEntry.change_id == change.id, TimelineEntry.kind == "scheduled"))
    assert scheduled < change.window_start


def test_seed_demo_creates_the_demo_and_queues_its_writes_for_the_worker(db, seed_cli):
    """On an empty database the command creates the demo and matches its users to ConnectWise
    members without waiting for its ConnectWise writes; delivered, none of them fails."""
    output = seed_cli()
    assert "Created demo organisation" in output and "Matched 7 users to ConnectWise members" in output
    organisation_id = demo_organisation().id
    writes = select(OutboxWrite).where(OutboxWrite.organisation_id == organisation_id)
    assert {w.state for w in db.session.scalars(writes)} == {"pending"}
    deliver(organisation_id=organisation_id, budget=120)
    db.session.expire_all()
    assert {w.state for w in db.session.scalars(writes)} <= {"sent", "skipped"}


def test_seed_demo_points_the_demo_at_the_simulator_port_each_run(db, seeded_demo, seed_cli, cw_sim):
    """Run again with another simulator port (make run SIM_PORT=…), the existing demo follows it."""
    assert not mappings.get_settings(seeded_demo.id).base_url.startswith(cw_sim.root_url + "/")
    output = seed_cli()
    assert "already present" in output and "Matched 7 users" in output
    db.session.expire_all()
    assert mappings.get_settings(seeded_demo.id).base_url == cw_sim.base_url
