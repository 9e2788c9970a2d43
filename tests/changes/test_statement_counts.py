"""Each change page sends the same number of SQL statements whatever the data size (no N+1).

The list is measured with `seed_scale` data (the rows `flask seed-demo --scale N` writes) at two
sizes; the detail tabs with a change that has one of everything, then one that has many devices
(of different companies and types), vCAB votes and timeline entries by different people.
"""
import pytest
from flask import g

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.changes.models import Approval, ChangeDevice
from cbcw.demo.scale import seed_scale
from cbcw.devices.models import Device, DeviceType
from tests.helpers.statements import count_statements


@pytest.fixture
def counted_get(client, db):
    """GET a URL (after a warm-up request) and return (response, SQL statements it sent).

    Requests share the test's app context here (pytest-flask pushes one), so each starts as a
    real request does: an empty session (rows the test left in the identity map would hide the
    lazy loads a real request pays for) and no user cached in `g` by Flask-Login.
    """

    def fresh_request_state():
        db.session.commit()
        db.session.expunge_all()
        g.pop("_login_user", None)

    def get(url, **kwargs):
        fresh_request_state()
        client.get(url, **kwargs).get_data()  # warm-up: first-request work must not count
        fresh_request_state()
        with count_statements(db.engine) as statements:
            response = client.get(url, **kwargs)
            response.get_data()  # a streamed body (a CSV) sends its statements as it is read
        fresh_request_state()
        assert response.status_code == 200
        return response, statements

    return get


@pytest.mark.parametrize("url, marker, shown", [("/changes", 'href="/changes/', 2 * 25),
                                                ("/changes?format=csv", '"CHG-', 62)])
def test_list_statement_count_does_not_grow_with_rows_or_companies(db, org, make_company, engineer, login,
                                                                    counted_get, url, marker, shown):
    """The changes list (25 rows a page) and its CSV (every row) send as many statements for 62 changes
    over 25 companies as for 2."""
    for _ in range(2):
        make_company()
    seed_scale(org.id, 2)
    db.session.commit()
    login(engineer)
    _, few = counted_get(url)
    db.session.add(org)
    for _ in range(23):
        make_company()
    seed_scale(org.id, 60)
    db.session.commit()
    response, many = counted_get(url)
    assert response.get_data(as_text=True).count(marker) >= shown
    assert len(many) == len(few), "\n".join(many)


@pytest.fixture
def grown_change(db, org, make_user, make_company, pending_change):
    """A pending vCAB change with `size` devices, vCAB approvals and comments by different people."""

    def grow(size):
        voters = [make_user("engineer", vcab_member=True) for _ in range(size)]
        change = pending_change(requires_vcab=True)
        for n, voter in enumerate(voters):
            company = make_company()
            device_type = DeviceType(organisation_id=org.id, name=f"Type {company.id}")
            device = Device(organisation_id=org.id, company_id=company.id, device_type=device_type,
                            hostname=f"host-{company.id}")
            db.session.add(ChangeDevice(organisation_id=org.id, change=change, device=device,
                                        mention=device.hostname))
            if n < size - 1 or size == 1:  # the round stays open: one member never votes
                db.session.add(Approval(organisation_id=org.id, change=change, round=change.approval_round,
                                        kind="vcab", approver_id=voter.id, decision="approved"))
            db.session.commit()
            apply(operations.add_comment, change, voter, text=f"Comment {n}")
        return change

    return grow


@pytest.mark.parametrize("tab", ["", "?tab=timeline"])
def test_detail_statement_count_does_not_grow_with_devices_votes_or_entries(grown_change, make_user, login,
                                                                             counted_get, tab):
    """A change's overview and timeline send as many statements with 15 devices and votes as with one."""
    viewer_of_both = make_user("engineer", vcab_member=True)
    small, large = grown_change(1).id, grown_change(15).id
    login(viewer_of_both)
    _, few = counted_get(f"/changes/{small}{tab}")
    response, many = counted_get(f"/changes/{large}{tab}")
    page = response.get_data(as_text=True)
    assert ("host-" in page) if not tab else ("Comment 14" in page)
    assert len(many) == len(few), "\n".join(many)


def test_a_rejected_drafts_overview_sends_as_many_statements_as_a_new_drafts(new_change, pending_change, people,
                                                                            engineer, login, counted_get):
    """Showing the rejection on a draft's overview reads the approvals already loaded: no extra statement."""
    fresh = new_change().id
    rejected = pending_change()
    apply(operations.reject, rejected, people.technical, kind="technical", comment="Not this week")
    rejected = rejected.id
    login(engineer)
    _, few = counted_get(f"/changes/{fresh}")
    response, with_rejection = counted_get(f"/changes/{rejected}")
    assert "Not this week" in response.get_data(as_text=True)
    assert len(with_rejection) == len(few), "\n".join(with_rejection)
