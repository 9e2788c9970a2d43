"""`flask seed-demo --scale N`: N extra changes with their devices, spread over the demo companies."""
from collections import Counter

from sqlalchemy import func, select

from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields
from cbcw.changes.models import Approval, Change, ChangeDevice, TimelineEntry
from cbcw.demo.scale import seed_scale
from cbcw.demo.seed import COMPANIES
from cbcw.devices.models import Device


def test_scale_adds_n_changes_with_their_devices_over_every_demo_company(db, seeded_demo, seed_cli):
    """--scale 40 adds 40 changes, each linking two devices of its own company, over all demo companies."""
    org = seeded_demo
    before = db.session.scalar(select(func.count()).select_from(Change).where(Change.organisation_id == org.id))
    output = seed_cli("--scale", "40")
    assert "Added 40 changes" in output
    changes = list(db.session.scalars(select(Change).where(Change.organisation_id == org.id)
                                      .order_by(Change.number).offset(before)))
    assert len(changes) == 40
    assert {c.company.name for c in changes} == set(COMPANIES)
    for change in changes:
        links = list(db.session.scalars(select(ChangeDevice).where(ChangeDevice.change_id == change.id)))
        assert len(links) == 2
        for link in links:
            device = db.session.get(Device, link.device_id)
            assert device.company_id == change.company_id and f"@{device.hostname}" in change.description
    assert len({c.state for c in changes}) >= 5


def test_scaled_changes_take_the_next_numbers_and_new_changes_follow(db, org, company, engineer, make_user):
    """Scaled changes continue the organisation's CHG numbers; the next change created gets the one after."""
    make_user("engineer")
    seed_scale(org.id, 30)
    db.session.commit()
    numbers = list(db.session.scalars(select(Change.number).where(Change.organisation_id == org.id)))
    assert sorted(numbers) == list(range(1, 31))
    change = operations.create_change(org.id, engineer, ChangeFields(title="After the load", company_id=company.id))
    assert change.number == 31


def test_scaled_history_reads_in_order_and_matches_each_state(db, org, company, make_user):
    """Each scaled change's timeline runs forward in time and its approvals and times fit its state."""
    for role in ("engineer", "engineer", "msp", "engineer"):
        make_user(role)
    seed_scale(org.id, 200, seed=7)
    db.session.commit()
    changes = list(db.session.scalars(select(Change).where(Change.organisation_id == org.id)))
    assert Counter(c.state for c in changes).keys() >= {"draft", "pending_approval", "scheduled", "completed",
                                                        "failed", "cancelled"}
    for change in changes:
        times = list(db.session.scalars(select(TimelineEntry.created_at).where(TimelineEntry.change_id == change.id)
                                        .order_by(TimelineEntry.id)))
        assert times == sorted(times) and times[0] == change.created_at and times[-1] == change.updated_at
        approvals = db.session.scalar(select(func.count()).select_from(Approval)
                                      .where(Approval.change_id == change.id))
        expected = 0 if change.state in ("draft", "pending_approval", "cancelled") else 2
        assert approvals == expected, change.state
        assert change.created_by_id not in (change.technical_approver_id, change.operational_approver_id)
        if change.actual_start_at:
            assert change.actual_start_at == change.window_start
        if change.state in ("completed", "failed"):
            assert change.window_end <= change.updated_at and change.completion_notes or change.failure_reason
