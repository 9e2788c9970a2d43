"""Twenty people pressing Re-apply on the same finding at the same moment re-apply it once
(issue 17): the finding is claimed by a conditional UPDATE, on SQLite as on PostgreSQL."""
import threading

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.drift.models import DriftFinding
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.extensions import db
from tests.automation.conftest import committed_outbox
from tests.conftest import PASSWORD

PRESSES = 20


def _drifted_change(shared_app, cw_sim) -> tuple[int, str]:
    """A linked change whose ticket shows the wrong status, and an admin; (change id, admin email)."""
    committed_outbox(shared_app, cw_sim, (5001,), cancel=False)
    with shared_app.app_context():
        change = db.session.scalar(db.select(Change))
        settings = get_settings(change.organisation_id)
        settings.auto_update_status, settings.status_change_created = True, "Change Linked"
        admin = User(organisation_id=change.organisation_id, email="admin@race.test", display_name="Admin",
                     role="admin")
        admin.set_password(PASSWORD)
        db.session.add_all([admin, DriftFinding(organisation_id=change.organisation_id, change_id=change.id,
                                                ticket_id=5001, problems=[{"kind": "status", "actual": "New",
                                                                           "expected": "Change Linked"}])])
        db.session.commit()
        answer = change.id, admin.email
        db.session.remove()
    return answer


def _logged_in_clients(shared_app, email: str, count: int):
    """`count` test clients sharing one logged-in session, and a CSRF token valid for it."""
    first = shared_app.test_client()
    page = first.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert first.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    page = first.get("/settings/integrations/drift").get_data(as_text=True)  # stores the session's CSRF secret
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    cookies = [(c.key, c.value) for c in first._cookies.values()]
    clients = [first]
    for _ in range(count - 1):
        client = shared_app.test_client()
        for key, value in cookies:
            client.set_cookie(key, value)
        clients.append(client)
    return clients, token


def test_twenty_simultaneous_reapplies_queue_the_writes_once(shared_app, cw_sim):
    """Twenty admins' presses, released together: one re-applies, the others are told it was
    already re-applied; the outbox holds the missing status once, and no press is an error."""
    change_id, email = _drifted_change(shared_app, cw_sim)
    clients, token = _logged_in_clients(shared_app, email, PRESSES)
    with shared_app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite))
        db.session.remove()
    barrier, answers = threading.Barrier(PRESSES), []

    def press(client):
        barrier.wait()
        response = client.post(f"/settings/integrations/drift/{change_id}/reapply", data={"csrf_token": token},
                               headers={"HX-Request": "true"})
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=press, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for status, _ in answers] == [200] * PRESSES
    assert sum("re-applied to ticket #5001" in body for _, body in answers) == 1
    assert sum("was already re-applied" in body for _, body in answers) == PRESSES - 1
    with shared_app.app_context():
        added = db.session.scalars(db.select(OutboxWrite).where(OutboxWrite.event == "drift-reapply")).all()
        assert [(w.kind, w.payload["status"]) for w in added] == [("status", "Change Linked")]
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)) == before + 1
        db.session.remove()
