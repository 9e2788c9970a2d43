"""Access rules over every URL the app serves: login, tenancy and CSRF.

The URL list comes from the app's own url_map, so a new route is covered the day it is added.
"""
import re

import pytest

from app import create_app
from cbcw.changes.type_models import ChangeTemplate, TemplateVersion
from cbcw.config import TestConfig
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.windows.models import ScheduleWindow
from tests.fixtures.database import committed_rows

# index only redirects; the calendar feed's unguessable token is its credential (tests/calendar/test_feed.py);
# the invitation link is opened before its owner has a password (a one-time token, hashed at rest).
PUBLIC = {"static", "main.healthz", "accounts.login", "calendar.ical_feed", "accounts.accept_invitation"}
# Neither login nor CSRF: ConnectWise posts here, and a signature is checked instead
# (tests/cw_callbacks/test_receiver.py refuses every unsigned or forged call with 401).
SIGNED = {"cw_callbacks.receive"}
ID_ARGS = ("change_id", "company_id", "user_id", "device_id", "write_id", "template_id", "version_id", "window_id")


def _rules():
    app = create_app(TestConfig)
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC | SIGNED:
            yield rule


def _build(rule, values):
    """The rule's path with each <converter:arg> replaced by values[arg]."""
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)


RULES = list(_rules())
GET_RULES = [r for r in RULES if "GET" in r.methods]
POST_RULES = [r for r in RULES if "POST" in r.methods]
ID_RULES = [r for r in RULES if set(r.arguments) & set(ID_ARGS)]


@pytest.fixture
def foreign_ids(db, make_org, make_company, make_user, make_change, make_device):
    """Ids of rows that belong to another organisation."""
    other = make_org()
    owner = make_user("admin", organisation=other)
    change = make_change(organisation=other, created_by=owner)
    write = OutboxWrite(organisation_id=other.id, change_id=change.id, ticket_id=5001, event="change-cancelled",
                        kind="note", payload={"text": "x"}, reference="cb-00000000", state="failed")
    window = ScheduleWindow(organisation_id=other.id, kind="blackout", name="Theirs", timezone="UTC")
    db.session.add_all([write, window])
    template = ChangeTemplate(organisation_id=other.id, name="Theirs", created_by_id=owner.id)
    version = TemplateVersion(organisation_id=other.id, template=template, version=1, title_pattern="x",
                              author_id=owner.id)
    db.session.add_all([template, version])
    db.session.commit()
    return {"change_id": change.id, "company_id": make_company(organisation=other).id, "user_id": owner.id,
            "device_id": make_device("other-srv", organisation=other).id, "write_id": write.id,
            "template_id": template.id, "version_id": version.id, "window_id": window.id}


@pytest.mark.parametrize("rule", GET_RULES, ids=lambda r: r.rule)
def test_every_page_needs_login(client, rule):
    """Every non-public page sends a logged-out visitor to the login page."""
    response = client.get(_build(rule, {"change_id": 1, "company_id": 1, "user_id": 1, "device_id": 1, "write_id": 1,
                                        "template_id": 1, "version_id": 1, "window_id": 1, "action": "submit",
                                        "token": "not-a-token"}))
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("rule", ID_RULES, ids=lambda r: f"{sorted(r.methods - {'HEAD', 'OPTIONS'})} {r.rule}")
def test_foreign_ids_are_404(client, post, login, admin, foreign_ids, rule):
    """Another organisation's id is a 404 on every URL that takes one, GET and POST alike."""
    login(admin)
    url = _build(rule, {**foreign_ids, "action": "submit"})
    if "GET" in rule.methods:
        assert client.get(url).status_code == 404
    if "POST" in rule.methods:
        assert post(url, {}).status_code == 404


# What the forms would accept, so a POST that slipped past the CSRF check would write something.
PLAUSIBLE_FORM = {"title": "x", "name": "x", "cancel-reason": "x", "comment-text": "x", "email": "x@example.test",
                  "display_name": "x", "role": "viewer", "timezone": "UTC", "active": "y",
                  "password": "a long enough password", "cw_company_id": "101", "board_id": "1", "cw_member_id": "1"}


@pytest.mark.parametrize("rule", POST_RULES, ids=lambda r: r.rule)
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_post_needs_a_csrf_token(client, login, admin, make_user, make_change, company, rule, htmx):
    """A POST without a CSRF token is refused, HTMX requests included, and changes nothing in the database."""
    login(admin)
    change, user = make_change(), make_user("engineer")
    url = _build(rule, {"change_id": change.id, "company_id": company.id, "user_id": user.id, "write_id": 1,
                        "template_id": 1, "version_id": 1, "window_id": 1, "action": "cancel",
                        "notification_id": 1, "state": "read", "token": "not-a-token"})
    headers = {"HX-Request": "true"} if htmx else {}
    before = committed_rows()
    response = client.post(url, data=PLAUSIBLE_FORM, headers=headers)
    assert response.status_code == 400
    assert committed_rows() == before


def test_healthz_reports_ok(client):
    """/healthz answers ok with the database reachable, without logging in."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
