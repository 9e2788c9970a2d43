"""A second PSA plugs in beside ConnectWise through its declaration alone: its pages, command, job,
receiver, panel and preview appear; each organisation's change form uses the ticket system
enabled for it; a linked change keeps the widget of the system it was linked in; and two
integrations that would replace one another refuse to start."""
import pytest

from app import create_app
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.models import Change
from cbcw.config import TestConfig
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.devices.models import Device
from cbcw.extensions import db as _db
from cbcw.integrations.registry import IntegrationError
from cbcw.organisations.models import Company
from cbcw.scheduler.jobs import scheduled_jobs, workers

CORE_JOBS = ["send-mail", "window-reminders", "approval-digest"]  # mail and reminders (cbcw/notifications)
from cbcw.scheduler.runner import build_scheduler
from tests.fixtures.shared_database import add_user_in_new_organisation
from tests.integrations import fake
from tests.integrations.conftest import CONNECTWISE


@pytest.fixture
def connectwise_on(db):
    """Switch ConnectWise on, with everything needed to connect, for an organisation."""

    def switch_on(organisation):
        settings = get_settings(organisation.id)
        settings.enabled = True
        settings.base_url, settings.cw_company_id = "https://cw.example.test", "msp"
        settings.public_key, settings.private_key = "public", "private"
        db.session.commit()

    return switch_on


@pytest.fixture
def second_org(make_org, make_company, make_user):
    """Another organisation, with a company and an engineer."""
    organisation = make_org("Second MSP")
    company = make_company("Second Co", organisation=organisation)
    return organisation, company, make_user("engineer", organisation=organisation)


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _slot(page: str) -> str:
    start = page.index('id="linked-ticket"')
    return page[start:page.index("</section>", start)]


def test_the_fake_psa_registers_beside_connectwise(app, client, login, admin):
    """Its blueprint, CLI command, scheduled job and settings page are there, and ConnectWise's too
    (its jobs and its delivery worker)."""
    assert {"fake_psa", "connectwise", "cw_tickets"} <= set(app.blueprints)
    assert {"fake-psa-poll", "cw-sim", "deliver"} <= set(app.cli.commands)
    assert app.test_cli_runner().invoke(args=["fake-psa-poll"]).output == "Fake PSA polled.\n"
    ids = [job.id for job in scheduled_jobs(app.config)]
    assert ids == ["heartbeat", *CORE_JOBS, "cw-requested-syncs", "cw-nightly-sync", "cw-nightly-drift", "cw-callbacks",
                   "fake-psa-poll"]
    assert [worker.id for worker in workers(app.config)] == ["cw-deliver"]
    assert "fake-psa-poll" in {job.id for job in build_scheduler(app).get_jobs()}
    login(admin)
    page = _page(client, "/settings/integrations/fake-psa")
    settings_page = _page(client, "/settings/companies")
    assert "Fake PSA settings" in page
    assert 'href="/settings/integrations/fake-psa"' in settings_page
    assert 'href="/settings/integrations/connectwise"' in settings_page


def test_its_receiver_panel_and_preview_reach_the_change_page(db, client, login, org, company, engineer, admin,
                                                              make_user):
    """The fake PSA hears the change created, shows its panel, and says what an approval will tell it."""
    change = operations.create_change(org.id, engineer, ChangeFields(
        title="Patch", company_id=company.id, technical_approver_id=admin.id,
        operational_approver_id=make_user("msp").id))
    operations.submit(change, engineer)
    db.session.commit()
    assert fake.created == [change.id]
    login(admin)
    page = _page(client, f"/changes/{change.id}?action=decide")
    assert f'hx-get="/fake-psa/changes/{change.id}/panel"' in page
    assert "If you approve: The fake PSA will hear of approve." in page
    assert "ConnectWise activity" not in page  # no ConnectWise ticket, no ConnectWise writes


def test_each_organisation_gets_the_ticket_field_of_its_own_system(client, post, login, org, engineer, second_org,
                                                                   connectwise_on):
    """The fake PSA's organisation gets the fake picker; the other, with ConnectWise on, ConnectWise's;
    with both on, the first in INTEGRATIONS (ConnectWise) wins."""
    fake.TICKETS.enabled.add(org.id)
    other_org, _, other_engineer = second_org
    connectwise_on(other_org)
    login(engineer)
    form = _page(client, "/changes/new")
    assert "data-fake-psa-picker" in form and "ConnectWise ticket" not in form
    post("/logout")
    login(other_engineer)
    form = _page(client, "/changes/new")
    assert "ConnectWise ticket" in form and "data-fake-psa-picker" not in form
    fake.TICKETS.enabled.add(other_org.id)
    form = _page(client, "/changes/new")
    assert "ConnectWise ticket" in form and "data-fake-psa-picker" not in form


def test_a_ticket_picked_in_the_fake_psa_records_its_system(db, client, post, login, org, company, engineer):
    """Saved through the fake picker, the change records the fake system and its widget fills the slot;
    a ticket the fake PSA refuses is not linked."""
    fake.TICKETS.enabled.add(org.id)
    login(engineer)
    fields = {"title": "Swap the UPS", "company_id": str(company.id), "risk": "low"}
    refused = post("/changes/new", {**fields, "linked_ticket_id": str(fake.REFUSED_TICKET)})
    assert "The fake PSA refuses ticket #13." in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Change)) == 0
    post("/changes/new", {**fields, "linked_ticket_id": "7"})
    change = db.session.scalar(db.select(Change))
    assert (change.linked_ticket_id, change.linked_ticket_system) == (7, "fakepsa")
    assert change.linked_ticket_summary == "Fake ticket 7"
    assert f'hx-get="/fake-psa/changes/{change.id}/ticket"' in _slot(_page(client, f"/changes/{change.id}"))


def test_a_linked_change_keeps_the_widget_of_its_system(client, login, org, engineer, make_change):
    """In an organisation now on the fake PSA, a change linked to ConnectWise still loads the
    ConnectWise widget, one linked to the fake PSA the fake one, and an unlinked change the fake one."""
    fake.TICKETS.enabled.add(org.id)
    on_connectwise = make_change(created_by=engineer, linked_ticket_id=5004, linked_ticket_system="connectwise")
    on_fake = make_change(created_by=engineer, linked_ticket_id=7, linked_ticket_system="fakepsa")
    unlinked = make_change(created_by=engineer)
    login(engineer)
    assert f'hx-get="/changes/{on_connectwise.id}/connectwise-ticket"' in _slot(
        _page(client, f"/changes/{on_connectwise.id}"))
    for change in (on_fake, unlinked):
        assert f'hx-get="/fake-psa/changes/{change.id}/ticket"' in _slot(_page(client, f"/changes/{change.id}"))
    assert f"Fake PSA widget of change {on_fake.id}" in _page(client, f"/fake-psa/changes/{on_fake.id}/ticket")


def test_without_a_system_the_form_has_no_ticket_field_and_keeps_the_link(db, post, client, login, org, company,
                                                                           engineer, make_change):
    """Neither system on: no ticket field; editing a linked draft keeps its ticket, and a posted
    ticket is refused."""
    change = make_change(created_by=engineer, state="draft", linked_ticket_id=7, linked_ticket_system="fakepsa")
    login(engineer)
    form = _page(client, f"/changes/{change.id}/edit")
    assert "linked_ticket_id" not in form
    post(f"/changes/{change.id}/edit", {"title": "Renamed", "company_id": str(company.id), "risk": "low"})
    db.session.refresh(change)
    assert (change.title, change.linked_ticket_id, change.linked_ticket_system) == ("Renamed", 7, "fakepsa")
    refused = post(f"/changes/{change.id}/edit", {"title": "Renamed", "company_id": str(company.id), "risk": "low",
                                                  "linked_ticket_id": "8"})
    assert "No ticketing integration is set up" in refused.get_data(as_text=True)
    db.session.refresh(change)
    assert change.linked_ticket_id == 7


@pytest.mark.parametrize("second, message", [
    ("tests.integrations.fake.SAME_NAME", "integration name 'connectwise'"),
    ("tests.integrations.fake.SAME_TICKET_KEY", "ticket system key 'connectwise'"),
    (CONNECTWISE, "integration name 'connectwise'"),
    ("tests.integrations.fake.NOT_AN_INTEGRATION", "is not a cbcw.integrations.spec.Integration"),
    ("tests.integrations.no_such_module.PSA", "cannot be imported"),
])
def test_integrations_that_would_replace_one_another_refuse_to_start(second, message):
    """A second integration with ConnectWise's name or ticket-system key (or a path naming nothing
    usable) stops the app at start-up with the reason, instead of silently replacing the first."""
    config = type("TwoIntegrations", (TestConfig,), {"INTEGRATIONS": (CONNECTWISE, second)})
    with pytest.raises(IntegrationError, match=message):
        create_app(config)


def test_the_core_runs_without_any_integration(tmp_path):
    """With INTEGRATIONS empty the app starts and its pages work: a change is created without a ticket
    field, its page has no widget or panel, the settings list no integration, a synced device's
    page has no ConnectWise link, and the scheduler runs only its heartbeat."""
    config = type("NoIntegrations", (TestConfig,), {
        "INTEGRATIONS": (), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'core.sqlite'}",
        "INSTANCE_DIR": tmp_path, "WTF_CSRF_ENABLED": False})
    app = create_app(config)
    assert "cw-sim" not in app.cli.commands and [job.id for job in scheduled_jobs(app.config)] == ["heartbeat", *CORE_JOBS]
    with app.app_context():
        _db.create_all()
        add_user_in_new_organisation("lee@example.test", "correct horse battery")
        device = Device(organisation_id=1, hostname="dc01", external_source="connectwise", external_id="42")
        _db.session.add_all([Company(organisation_id=1, name="Acme"), device])
        _db.session.commit()
    client = app.test_client()
    try:
        assert client.post("/login", data={"email": "lee@example.test", "password": "correct horse battery"}
                           ).status_code == 302
        assert "linked_ticket_id" not in _page(client, "/changes/new")
        created = client.post("/changes/new", data={"title": "Patch", "company_id": "1", "risk": "low"})
        detail = _page(client, created.headers["Location"])
        assert "hx-get" not in _slot(detail) and "No ticket linked." in detail
        assert "Integrations" not in _page(client, "/settings/companies")
        assert "Open in ConnectWise" not in _page(client, "/devices/1")
    finally:
        with app.app_context():
            _db.engine.dispose()
