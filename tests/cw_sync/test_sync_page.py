"""The "Configuration Sync (Devices)" section of the ConnectWise settings page."""
from sqlalchemy import select

from cbcw.connectwise.sync import runner, runs
from cbcw.connectwise.sync.models import SCHEDULER_PICKUP, SyncRun

HX = {"HX-Request": "true"}


def test_sync_now_queues_a_run_for_the_scheduler(db, client, login, post, admin, org, mapped, settings_url):
    """Confirming "Sync Configurations Now" queues a full run by this user; the web worker does not run it."""
    login(admin)
    response = post(f"{settings_url}/sync", headers=HX)
    assert response.status_code == 200 and "waiting for the scheduler process" in response.text
    assert 'hx-trigger="every 1s"' in response.text
    run = db.session.scalar(select(SyncRun))
    assert run.status == "queued" and run.full and run.requested_by_id == admin.id and run.trigger == "manual"


def test_second_request_while_one_is_queued_is_refused(db, client, login, post, admin, org, mapped, settings_url):
    """Asking again while a sync is queued says so and queues nothing more."""
    login(admin)
    post(f"{settings_url}/sync", headers=HX)
    response = post(f"{settings_url}/sync", headers=HX)
    assert "already queued or running" in response.text and db.session.query(SyncRun).count() == 1


def test_progress_then_counts_and_history(db, client, login, post, admin, org, cw_sim, mapped, settings_url):
    """While running the section shows pages and records; afterwards the counts and a history row."""
    login(admin)
    post(f"{settings_url}/sync", headers=HX)
    run = db.session.scalar(select(SyncRun))
    runs.claim(run.id)
    running = client.get(f"{settings_url}/sync", headers=HX).text
    assert "0 page(s) fetched" in running and 'hx-trigger="every 1s"' in running
    runner.execute(run.id)
    db.session.refresh(run)
    done = client.get(f"{settings_url}/sync", headers=HX).text
    assert f"{run.created} created, 0 updated, 0 unchanged, {run.skipped} skipped, 0 deactivated" in done
    assert "every 1s" not in done and admin.display_name in done and "type not mapped: Printer" in done
    page = client.get(settings_url).text
    assert "Sync Configurations Now" in page and 'id="sync-history"' in page


def test_sync_without_javascript_redirects_with_a_message(db, client, login, post, admin, org, mapped, settings_url):
    """The plain form posts, flashes and returns to the settings page."""
    login(admin)
    response = post(f"{settings_url}/sync")
    assert response.status_code == 302 and response.location.endswith("#sync")


def test_the_sync_section_without_javascript_is_a_settings_page(db, client, login, admin, org, settings_url):
    """Opened as a page, the sync section sits in Settings → ConnectWise, with its history."""
    login(admin)
    page = client.get(f"{settings_url}/sync").text
    assert 'id="sync-history"' in page and "Back to ConnectWise settings" in page
    assert 'aria-current="page">Settings</a>' in page and 'aria-current="page">ConnectWise</a>' in page


def test_engineers_cannot_start_a_sync(db, client, login, post, engineer, org, settings_url):
    """Only admin and MSP users reach the sync section."""
    login(engineer)
    assert post(f"{settings_url}/sync").status_code == 403
    assert client.get(f"{settings_url}/sync").status_code == 403


def test_a_request_nobody_picks_up_says_the_scheduler_may_be_down(db, client, login, post, admin, org, mapped,
                                                                   settings_url):
    """A sync queued for longer than the scheduler's pick-up time tells the admin to check `flask scheduler`."""
    login(admin)
    post(f"{settings_url}/sync", headers=HX)
    assert "may not be running" not in client.get(f"{settings_url}/sync", headers=HX).text
    run = db.session.scalar(select(SyncRun))
    run.heartbeat_at = run.heartbeat_at - SCHEDULER_PICKUP * 2
    db.session.commit()
    assert "flask scheduler</code>) may not be running" in client.get(f"{settings_url}/sync", headers=HX).text
