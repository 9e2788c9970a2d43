"""The schedule form shows the implementer's ConnectWise bookings as it is filled in, and saving
the window answers without asking ConnectWise (PRODUCT §2.5, §3.8)."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.demo.seed import demo_organisation
from cbcw.extensions import db
from cbcw.organisations.models import Company
from tests.browser.htmx import goto, htmx_swap, url_with

ENGINEER_MEMBER_ID = 153  # the simulator's eengineer (cw_simulator/seed.py)


def _change_to_schedule() -> int:
    """An approved change for engineer@demo.test, matched to their ConnectWise member."""
    org = demo_organisation()
    acme = db.session.scalar(select(Company).filter_by(organisation_id=org.id, name="Acme Manufacturing"))
    engineer = db.session.scalar(select(User).filter_by(email="engineer@demo.test"))
    org.change_counter += 1
    change = Change(organisation_id=org.id, number=org.change_counter, title="Needs a window", company_id=acme.id,
                    state="approved", created_by_id=engineer.id, implementer_id=engineer.id)
    db.session.add(change)
    db.session.add(MemberMatch(organisation_id=org.id, user_id=engineer.id, cw_member_id=ENGINEER_MEMBER_ID,
                               method="manual"))
    db.session.commit()
    return change.id


def _schedule_reads(cw_sim) -> int:
    return sum(1 for e in cw_sim.journal() if e["method"] == "GET" and e["path"].endswith("/schedule/entries"))


def test_a_booking_shows_as_the_window_is_picked_and_the_save_does_not_wait_for_connectwise(page, login, demo,
                                                                                             cw_sim):
    with demo.app_context():
        change_id = _change_to_schedule()
    ticket_id = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 1}).json()[0]["id"]
    booked = cw_sim.raw("POST", "/schedule/entries", json={
        "objectId": ticket_id, "type": {"identifier": "S"}, "member": {"id": ENGINEER_MEMBER_ID},
        "name": "Site visit at Contoso", "dateStart": "2030-07-10T09:00:00Z", "dateEnd": "2030-07-10T11:00:00Z"})
    assert booked.status_code == 201, booked.text
    login(page, "engineer@demo.test")
    goto(page, f"/changes/{change_id}?action=schedule")
    people = page.locator("#schedule-check")
    expect(people).to_be_empty()  # no window yet: nothing to ask
    page.get_by_label("Window start").fill("2030-07-10T10:30")  # London summer time: 09:30 UTC
    with htmx_swap(page, url_with(f"/changes/{change_id}/schedule/check",
                                  **{"schedule-window_end": "2030-07-10T11:30"})):
        page.get_by_label("Window end").fill("2030-07-10T11:30")
    expect(people).to_contain_text("The implementer is booked elsewhere in this window")
    expect(people).to_contain_text("ConnectWise schedule: Site visit at Contoso (10 Jul 2030 10:00 – 10 Jul 2030 12:00)")
    reads = _schedule_reads(cw_sim)
    page.get_by_role("button", name="Save window").click()
    expect(page.get_by_text("Implementation window saved.")).to_be_visible()
    assert _schedule_reads(cw_sim) == reads  # the save itself asked ConnectWise nothing


def test_suggest_a_window_is_for_the_implementer_picked_and_keeps_the_form(page, login, demo):
    with demo.app_context():
        change_id = _change_to_schedule()
        theo = db.session.scalar(select(User).filter_by(email="tech.approver@demo.test"))
        other_id, other_name = theo.id, theo.display_name
    login(page, "engineer@demo.test")
    goto(page, f"/changes/{change_id}?action=schedule")
    page.get_by_label("Implementer").select_option(label=other_name)
    page.get_by_label("Window start").fill("2030-07-10T10:30")
    with htmx_swap(page, url_with(f"/changes/{change_id}", suggest="1", **{"schedule-implementer_id": str(other_id)})):
        page.get_by_role("button", name="Suggest a window").click()
    expect(page.get_by_role("link", name=re.compile(r"^Use ")).first).to_have_attribute(
        "href", re.compile(rf"fill_implementer={other_id}\b"))
    expect(page.get_by_label("Implementer")).to_have_value(str(other_id))
    expect(page.get_by_label("Window start")).to_have_value("2030-07-10T10:30")
