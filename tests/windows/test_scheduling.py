"""Scheduling against blackout and maintenance windows and people conflicts (PRODUCT §2.5)."""
from datetime import datetime, time, timezone

import pytest

from cbcw.changes import blackout_impact
from cbcw.changes.models import ChangeDevice, TimelineEntry
from tests.helpers.clock import FROZEN_NOW

T = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731


def form(start, end, implementer, **more):
    return {"schedule-window_start": start, "schedule-window_end": end,
            "schedule-implementer_id": str(implementer.id), **more}


def test_a_normal_change_is_refused_inside_the_freeze_naming_it(db, login, post, admin, make_change, christmas_freeze):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    refused = post(f"/changes/{change.id}/schedule", form("2030-12-27T10:00", "2030-12-27T11:00", admin))
    assert refused.status_code == 200 and "blackout “Christmas freeze”" in refused.text
    db.session.refresh(change)
    assert change.state == "approved"


def test_a_freeze_of_the_company_whose_device_the_change_touches_binds_it_too(db, login, post, admin, make_change,
                                                                             make_company, make_device, make_window):
    """A change for one client that reaches another client's firewall meets that client's freeze; that
    client's maintenance windows stay its own (no warning for being outside them)."""
    northwind = make_company("Northwind")
    firewall = make_device("nw-fw-edge", company=northwind)
    make_window(name="Northwind stocktake", company_id=northwind.id, recurrence="once",
                starts_local=datetime(2030, 6, 5), ends_local=datetime(2030, 6, 6))
    make_window(name="Northwind Sundays", kind="maintenance", company_id=northwind.id, recurrence="weekly",
                weekdays="6", start_time=time(1), end_time=time(2))
    change = make_change(title="Reconfigure the edge", state="approved", implementer_id=admin.id)
    db.session.add(ChangeDevice(organisation_id=change.organisation_id, change_id=change.id, device_id=firewall.id,
                                mention="nw-fw-edge"))
    db.session.commit()
    login(admin)
    refused = post(f"/changes/{change.id}/schedule", form("2030-06-05T10:00", "2030-06-05T11:00", admin))
    assert refused.status_code == 200 and "blackout “Northwind stocktake”" in refused.text
    saved = post(f"/changes/{change.id}/schedule", form("2030-06-07T10:00", "2030-06-07T11:00", admin))
    assert saved.status_code == 302
    db.session.refresh(change)
    assert change.state == "scheduled"


def test_an_emergency_change_needs_a_reason_then_overrides_the_freeze(db, client, login, post, admin, make_change,
                                                                     christmas_freeze):
    change = make_change(title="Fix outage", state="approved", change_type="emergency", implementer_id=admin.id)
    login(admin)
    url = f"/changes/{change.id}/schedule"
    refused = post(url, form("2030-12-27T10:00", "2030-12-27T11:00", admin))
    assert refused.status_code == 200 and "give the reason this emergency change must override it" in refused.text
    saved = post(url, form("2030-12-27T10:00", "2030-12-27T11:00", admin,
                           **{"schedule-blackout_override": "Ransomware containment"}))
    assert saved.status_code == 302
    db.session.refresh(change)
    assert change.state == "scheduled" and change.blackout_override == "Ransomware containment"
    entry = db.session.scalar(db.select(TimelineEntry).filter_by(change_id=change.id, kind="scheduled"))
    assert "overrides the blackout “Christmas freeze”: Ransomware containment" in entry.message
    assert entry.details["blackout_override"] == "Ransomware containment"
    page = client.get(f"/changes/{change.id}").text
    assert "Blackout overridden (emergency):" in page and "Ransomware containment" in page
    assert "Blackout:" in page and "Christmas freeze" in page


def test_outside_the_maintenance_window_is_allowed_with_a_warning(db, client, login, post, admin, make_change,
                                                                 weekly_maintenance):
    change = make_change(title="Tuesday job", state="approved", implementer_id=admin.id)
    login(admin)
    # Tuesday 10 December 2030, 10:00 UTC: no maintenance window then.
    assert post(f"/changes/{change.id}/schedule", form("2030-12-10T10:00", "2030-12-10T11:00", admin)).status_code == 302
    entry = db.session.scalar(db.select(TimelineEntry).filter_by(change_id=change.id, kind="scheduled"))
    assert entry.details["outside_maintenance"] == "“Saturday evenings”"
    page = client.get(f"/changes/{change.id}").text
    assert "Outside the maintenance window:" in page and "Saturday evenings" in page
    assert "Outside the maintenance window “Saturday evenings”" in client.get(f"/changes/{change.id}?tab=timeline").text
    inside = make_change(title="Saturday job", state="approved", implementer_id=admin.id)
    assert post(f"/changes/{inside.id}/schedule", form("2030-12-14T20:30", "2030-12-14T22:00", admin)).status_code == 302
    assert "Outside the maintenance window" not in client.get(f"/changes/{inside.id}").text


def test_same_implementer_on_overlapping_changes_asks_and_the_kept_conflict_is_recorded(
        db, client, login, post, admin, engineer, make_change):
    busy = make_change(title="Already booked", state="scheduled", implementer_id=engineer.id,
                       window_start=T(2030, 6, 1, 10), window_end=T(2030, 6, 1, 12))
    change = make_change(title="Second job", state="approved", implementer_id=engineer.id)
    login(admin)
    url = f"/changes/{change.id}/schedule"
    asked = post(url, form("2030-06-01T11:00", "2030-06-01T13:00", engineer))
    assert asked.status_code == 200 and "Schedule anyway" in asked.text and busy.reference in asked.text
    assert "with the same implementer" in asked.text
    kept = post(url, form("2030-06-01T11:00", "2030-06-01T13:00", engineer, **{"schedule-confirm_conflicts": "y"}))
    assert kept.status_code == 302
    entry = db.session.scalar(db.select(TimelineEntry).filter_by(change_id=change.id, kind="scheduled"))
    assert entry.details["conflicts_kept"] == [f"{busy.reference} (the same implementer)"]
    # Both changes show it now.
    assert "with the same implementer" in client.get(f"/changes/{busy.id}").text
    assert busy.reference in client.get(f"/changes/{change.id}").text


def test_a_different_implementer_in_the_same_hours_is_no_conflict(login, post, admin, engineer, make_change):
    make_change(title="Theirs", state="scheduled", implementer_id=engineer.id,
                window_start=T(2030, 6, 1, 10), window_end=T(2030, 6, 1, 12))
    change = make_change(title="Mine", state="approved", implementer_id=admin.id)
    login(admin)
    assert post(f"/changes/{change.id}/schedule", form("2030-06-01T11:00", "2030-06-01T13:00", admin)).status_code == 302


# --- /windows ---------------------------------------------------------------------------------


def test_admin_defines_a_freeze_and_a_maintenance_window_everyone_reads_them(db, client, login, post, admin, viewer,
                                                                             company):
    login(admin)
    made = post("/windows/new", {"name": "Christmas freeze", "kind": "blackout", "company_id": str(company.id),
                                 "reason": "Peak season", "timezone": "Europe/London", "recurrence": "once",
                                 "starts_local": "2030-12-24 00:00", "ends_local": "2031-01-02 00:00",
                                 "monthly_rule": "day"})
    assert made.status_code == 302
    weekly = post("/windows/new", {"name": "Saturday evenings", "kind": "maintenance", "company_id": str(company.id),
                                   "timezone": "Europe/London", "recurrence": "weekly", "weekdays": ["5"],
                                   "start_time": "20:00", "end_time": "24:00", "monthly_rule": "day"})
    assert weekly.status_code == 302
    payroll = post("/windows/new", {"name": "Payroll run", "kind": "blackout", "company_id": "",
                                    "timezone": "Australia/Sydney", "recurrence": "monthly",
                                    "monthly_rule": "last_business_day", "start_time": "18:00", "end_time": "24:00"})
    assert payroll.status_code == 302
    post("/logout")
    login(viewer)
    listing = client.get("/windows").text
    assert "Christmas freeze" in listing and "Every Sat 20:00–24:00 (Europe/London)" in listing
    assert "Monthly on the last business day 18:00–24:00 (Australia/Sydney)" in listing
    assert "New window" not in listing
    assert client.get("/windows/new").status_code == 403


@pytest.mark.parametrize("fields,message", [
    ({"recurrence": "once", "starts_local": "9999-99-99 25:00", "ends_local": "x"}, "Give a date and time"),
    ({"recurrence": "once", "starts_local": "0001-01-01 00:00", "ends_local": "0001-01-02 00:00"}, "Give a date and time"),
    ({"recurrence": "once", "starts_local": "2031-01-02 00:00", "ends_local": "2030-01-02 00:00"}, "must come after"),
    ({"recurrence": "weekly", "start_time": "25:61", "end_time": "24:00", "weekdays": ["9"]}, "is not a valid choice"),
    ({"recurrence": "monthly", "monthly_rule": "day", "month_day": "99999999999999999999",
      "start_time": "18:00", "end_time": "19:00"}, "Number must be between 1 and 31"),
    ({"recurrence": "weekly", "kind": "maintenance", "company_id": "", "weekdays": ["1"],
      "start_time": "18:00", "end_time": "19:00"}, "belongs to one company"),
    ({"recurrence": "once", "company_id": "9" * 40, "starts_local": "2030-12-24 00:00",
      "ends_local": "2030-12-25 00:00"}, "Not a valid choice"),
    ({"recurrence": "yearly"}, "Not a valid choice"),
    ({"timezone": "Mars/Olympus", "recurrence": "once"}, "timezone"),
])
def test_window_form_refuses_hostile_input_with_a_message(login, post, admin, fields, message):
    login(admin)
    data = {"name": "X", "kind": "blackout", "company_id": "", "timezone": "UTC", "monthly_rule": "day", **fields}
    response = post("/windows/new", data)
    assert response.status_code == 200 and message in response.text


def test_a_foreign_companys_id_and_another_organisations_window_are_refused(db, login, post, admin, make_org,
                                                                          make_company, make_window):
    other = make_org("Elsewhere")
    theirs = make_company("Their client", organisation=other)
    window = make_window(organisation_id=other.id, name="Their freeze", recurrence="once",
                         starts_local=datetime(2030, 1, 1), ends_local=datetime(2030, 1, 2))
    login(admin)
    assert post(f"/windows/{window.id}/edit", {"name": "Mine now"}).status_code == 404
    assert post(f"/windows/{window.id}/remove").status_code == 404
    assert post(f"/windows/{2**63}/remove").status_code == 404
    response = post("/windows/new", {"name": "X", "kind": "blackout", "company_id": str(theirs.id), "timezone": "UTC",
                                     "recurrence": "once", "starts_local": "2030-12-24 00:00",
                                     "ends_local": "2030-12-25 00:00", "monthly_rule": "day"})
    assert response.status_code == 200 and "Not a valid choice" in response.text


def test_removing_a_window_stops_it_refusing(db, login, post, admin, make_change, christmas_freeze):
    login(admin)
    assert post(f"/windows/{christmas_freeze.id}/remove").status_code == 302
    change = make_change(title="After all", state="approved", implementer_id=admin.id)
    assert post(f"/changes/{change.id}/schedule", form("2030-12-27T10:00", "2030-12-27T11:00", admin)).status_code == 302


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(blackout_impact, "utcnow", lambda: FROZEN_NOW)


def test_windows_names_the_scheduled_changes_a_new_freeze_catches(db, client, login, admin, make_change, make_company,
                                                                  make_device, christmas_freeze, frozen_now):
    """Acme's freeze over Acme's scheduled patch, and over another client's change that touches an Acme
    server; not a completed change, nor one outside the freeze, nor one of another client."""
    caught = make_change(title="Patch", state="scheduled", window_start=T(2030, 12, 27, 10), window_end=T(2030, 12, 27, 11))
    done = make_change(title="Done", state="completed", window_start=T(2030, 12, 27, 10), window_end=T(2030, 12, 27, 11))
    later = make_change(title="Later", state="scheduled", window_start=T(2031, 1, 5, 10), window_end=T(2031, 1, 5, 11))
    other = make_company("Northwind")
    theirs = make_change(title="Theirs", state="scheduled", company_id=other.id, window_start=T(2030, 12, 28, 10),
                         window_end=T(2030, 12, 28, 11))
    reaching = make_change(title="Reaching", state="in_progress", company_id=other.id,
                           window_start=T(2030, 12, 29, 10), window_end=T(2030, 12, 29, 11))
    server = make_device("acme-srv01", company=christmas_freeze.company)
    db.session.add(ChangeDevice(organisation_id=reaching.organisation_id, change_id=reaching.id, device_id=server.id,
                                mention="acme-srv01"))
    db.session.commit()
    login(admin)
    listing = client.get("/windows").text
    assert "Already scheduled inside it:" in listing
    assert caught.reference in listing and reaching.reference in listing
    assert done.reference not in listing and later.reference not in listing and theirs.reference not in listing


def test_a_window_is_removed_from_its_edit_page_not_with_one_click_in_the_list(db, client, login, post, admin,
                                                                               christmas_freeze):
    login(admin)
    assert f"/windows/{christmas_freeze.id}/remove" not in client.get("/windows").text
    assert f"/windows/{christmas_freeze.id}/remove" in client.get(f"/windows/{christmas_freeze.id}/edit").text
    assert post(f"/windows/{christmas_freeze.id}/remove").status_code == 302
    listing = client.get("/windows").text
    assert "Removed “Christmas freeze”." in listing and "<td>Christmas freeze</td>" not in listing
