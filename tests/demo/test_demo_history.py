"""`flask seed-demo`: a demo history that reads as it happened, and a demo that follows the simulator's port."""
from datetime import timedelta

from sqlalchemy import select

from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.connectwise.settings import mappings
from cbcw.db import utcnow
from cbcw.demo.seed import demo_organisation


def test_demo_history_is_spread_over_past_days_in_order(db, seed_cli):
    """Each demo change's steps are hours or days apart, in order, all in the past; approvals match their entries."""
    seed_cli()
    now = utcnow()
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
        for approval in db.session.scalars(select(Approval).where(Approval.change_id == change.id)):
            assert any(e.kind == "approved" and e.actor_id == approval.approver_id
                       and e.created_at == approval.decided_at for e in entries)


def test_completed_demo_change_started_and_ended_inside_its_window(db, seed_cli):
    """The completed demo change was started and completed within its window, after it was scheduled."""
    seed_cli()
    change = db.session.scalar(select(Change).where(Change.state == "completed"))
    assert change.window_start <= change.actual_start_at < change.actual_end_at <= change.window_end
    scheduled = db.session.scalar(select(TimelineEntry.created_at).where(
        TimelineEntry.change_id == change.id, TimelineEntry.kind == "scheduled"))
    assert scheduled < change.window_start


def test_seed_demo_points_the_demo_at_the_simulator_port_each_run(db, seed_cli, unused_port):
    """Run again with another simulator port (make run SIM_PORT=…), the existing demo follows it."""
    seed_cli(port=unused_port)
    org_id = demo_organisation().id
    assert mappings.get_settings(org_id).base_url.startswith(f"http://127.0.0.1:{unused_port}/")
    output = seed_cli(port=unused_port + 1 if unused_port < 65535 else unused_port - 1)
    assert "already present" in output
    db.session.expire_all()
    assert f":{unused_port}/" not in mappings.get_settings(org_id).base_url
