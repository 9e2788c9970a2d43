"""Issue 18's "done when", checked on the demo's lifecycle through the simulator over a socket:
what the journal and the simulator's records show after `flask seed-demo` and a sync."""
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.settings import statuses
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.sync import runner, runs
from cbcw.demo.seed import demo_organisation


def test_demo_lifecycle_leaves_closed_entries_and_customer_safe_descriptions(app, db, seed_cli, cw_sim):
    """Finished demo changes have no open schedule entry on their tickets; every description note
    carries the plan block without a ChangeBreeze URL or a rollback plan; every status name the demo
    sets exists on every board in use."""
    seed_cli()
    org = demo_organisation()
    deliver(organisation_id=org.id, budget=120)  # what the scheduler's delivery worker does
    changes = db.session.scalars(select(Change).where(Change.organisation_id == org.id)).all()
    finished = [c for c in changes if c.state in ("completed", "cancelled")]
    assert finished
    entries = cw_sim.raw("GET", "/schedule/entries", params={"pageSize": 1000}).json()
    for change in finished:
        mine = [e for e in entries if e["objectId"] == change.linked_ticket_id and e["name"].startswith(change.reference)]
        assert all(e["doneFlag"] for e in mine), change.reference
    posted = [e for e in cw_sim.journal() if e["method"] in ("POST", "PATCH") and "/notes" in e["path"]]
    descriptions = [e for e in posted if isinstance(e["json"], list)]  # PATCHes of the description note
    assert descriptions
    base = app.config["APP_BASE_URL"]
    for patch in descriptions:
        text = patch["json"][0]["value"]
        block = text[text.index("[ChangeBreeze plan"):]
        assert base not in block and "/changes/" not in block and "Rollback plan" not in block
    settings = get_settings(org.id)
    assert statuses.missing_statuses(settings, client_for(settings)) == []  # no warning on the settings page


def test_demo_sync_lists_configurations_of_the_mapped_companies_only(app, db, seed_cli, cw_sim):
    seed_cli()
    org = demo_organisation()
    cw_sim.clear_journal()
    run = runner.execute(runs.request_run(org.id, "cli", full=True, start_now=True).id)
    assert run.status == "succeeded"
    listings = [e for e in cw_sim.journal() if e["path"].endswith("/company/configurations")]
    assert listings and all("company/id in (101,102,103)" in e["query"]["conditions"] for e in listings)
