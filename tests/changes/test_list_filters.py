"""The changes list: every-word search, hostile filter parameters, and the §2.6 My work filters."""
import itertools
import re

import pytest
from flask_login import login_user

from cbcw.changes import operations, policy, queries
from cbcw.changes.unit_of_work import apply
from cbcw.changes.models import Approval, Change
from cbcw.extensions import db as _db


def text(response) -> str:
    return response.get_data(as_text=True)


def titles(response) -> set[str]:
    """The titles of the rows the list shows."""
    return set(re.findall(r'<td data-label="Title"><a href="/changes/\d+">([^<]+)</a></td>', text(response)))


# --- Search ------------------------------------------------------------------------------------


def test_search_matches_changes_containing_every_word_in_any_order(client, login, engineer, make_change):
    """"core switch" finds a change with both words anywhere in title or description, not one with only one."""
    login(engineer)
    make_change(title="Replace the switch", description="In the core room")
    make_change(title="Core firewall")
    make_change(title="Switch in the lobby")
    assert titles(client.get("/changes?q=core switch")) == {"Replace the switch"}
    assert titles(client.get("/changes?q=SWITCH   core")) == {"Replace the switch"}


def test_search_treats_like_wildcards_as_plain_characters(client, login, engineer, make_change):
    """Searching "100%" or "a_b" matches those characters, not every row."""
    login(engineer)
    make_change(title="Disk at 100% on sql01")
    make_change(title="Disk at 1000 GB")
    make_change(title="Rename a_b share")
    make_change(title="Rename axb share")
    assert titles(client.get("/changes", query_string={"q": "100%"})) == {"Disk at 100% on sql01"}
    assert titles(client.get("/changes", query_string={"q": "a_b"})) == {"Rename a_b share"}


def test_search_with_a_spaced_change_number_finds_that_change(client, login, engineer, make_change):
    """"CHG 3" finds change number 3 even though it is two words."""
    login(engineer)
    for n in range(1, 5):
        make_change(title=f"Job {n}")
    assert titles(client.get("/changes?q=CHG 3")) == {"Job 3"}


# --- Hostile parameters ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    {"page": "abc"}, {"page": "-3"}, {"page": "0"}, {"page": str(2**70)}, {"page": "1e9"},
    {"company": "abc"}, {"company": str(2**64)}, {"company": "-1"}, {"state": "exploded"},
    {"mine": "everything"}, {"q": "x" * 5000}, {"q": "%_\\"},
])
def test_hostile_list_parameters_get_a_page_never_a_500(client, login, engineer, make_change, args):
    """Garbage or out-of-range list parameters answer 200 with the list, not a server error."""
    login(engineer)
    make_change(title="Still listed")
    response = client.get("/changes", query_string=args)
    assert response.status_code == 200


def test_invalid_filter_says_why_and_is_left_out(client, login, engineer, make_change):
    """An unknown company id is reported beside the field and the list is not filtered by it."""
    login(engineer)
    make_change(title="Still listed")
    response = client.get("/changes", query_string={"company": str(2**64)})
    assert "Not a valid choice" in text(response) and titles(response) == {"Still listed"}


def test_page_past_the_end_shows_the_last_page(client, login, engineer, make_change):
    """?page=huge shows the last page instead of an empty one or an error."""
    login(engineer)
    for n in range(30):
        make_change(title=f"Bulk {n:02d}")
    page = text(client.get("/changes", query_string={"page": str(2**70)}))
    assert "Page 2 of 2" in page and page.count("<tr>") == 6


# --- My work (§2.6) ----------------------------------------------------------------------------


@pytest.fixture
def my_work(db, make_user, people, new_change, pending_change, approved_change, engineer):
    """Changes in which one engineer, `me`, plays each part, plus one that does not concern them."""
    me = make_user("engineer", vcab_member=True, display_name="Mia Me")
    make_user("engineer", vcab_member=True, display_name="Val Voter")  # a vCAB vote that counts on Mia's own change

    class Work:
        user = me
        technical = pending_change(title="I approve technically", technical_approver_id=me.id)
        operational = pending_change(title="I approve operationally", operational_approver_id=me.id)
        vcab = pending_change(title="vCAB vote wanted", requires_vcab=True)
        assigned = approved_change(title="I implement", implementer_id=me.id)
        requested = new_change(actor=me, title="I asked for it")
        decided = pending_change(title="Already decided", technical_approver_id=me.id)
        draft = new_change(title="Draft naming me", technical_approver_id=me.id)
        other = pending_change(title="Not mine")
        own_vcab = new_change(actor=me, title="My own vCAB change", requires_vcab=True)

    apply(operations.approve, Work.decided, me, kind="technical")
    apply(operations.submit, Work.own_vcab, me)
    return Work


@pytest.mark.parametrize("mine, expected", [
    ("approval", {"I approve technically", "I approve operationally", "vCAB vote wanted"}),
    ("assigned", {"I implement"}),
    ("requested", {"I asked for it", "My own vCAB change"}),
])
def test_quick_filters_show_my_work_and_are_bookmarkable(client, login, my_work, mine, expected):
    """?mine=approval|assigned|requested lists exactly the changes awaiting me, assigned to me, requested by me."""
    login(my_work.user)
    response = client.get(f"/changes?mine={mine}")
    assert titles(response) == expected
    assert re.search(rf'<input[^>]*checked[^>]*value="{mine}"|<input[^>]*value="{mine}"[^>]*checked', text(response))


def test_navigation_counts_changes_awaiting_my_approval(client, login, my_work):
    """Every page's navigation shows how many changes wait on my decision, linking to that filter."""
    login(my_work.user)
    page = text(client.get(f"/changes/{my_work.other.id}"))
    assert re.search(r'href="/changes\?mine=approval"[^>]*>\s*My approvals <span class="count">3</span>', page)


def test_navigation_count_drops_when_i_decide(client, login, my_work):
    """After I approve one of them, the count in the navigation goes down by one."""
    apply(operations.approve, my_work.vcab, my_work.user, kind="vcab")
    login(my_work.user)
    assert '<span class="count">2</span>' in text(client.get("/changes"))


def test_viewer_sees_no_approval_count_or_quick_filters(client, login, viewer, my_work):
    """A viewer never approves: no My approvals link, no quick filters."""
    login(viewer)
    page = text(client.get("/changes"))
    assert "My approvals" not in page and 'name="mine"' not in page


@pytest.mark.parametrize("self_approval", [False, True])
def test_awaiting_my_approval_agrees_with_the_approval_rules(app, db, org, make_user, my_work, people, engineer, viewer,
                                                             self_approval):
    """For every user and change, "awaiting my approval" holds exactly when the policy lets them decide,
    with and without small-team self-approval."""
    org.allow_self_approval = self_approval
    db.session.commit()
    inactive_member = make_user("engineer", vcab_member=True, active=False)
    users = [my_work.user, people.technical, people.operational, people.implementer, engineer, viewer, inactive_member]
    changes = list(db.session.scalars(db.select(Change).where(Change.organisation_id == org.id)))
    for user, change in itertools.product(users, changes):
        with app.test_request_context():
            login_user(user)
            listed = db.session.scalar(
                queries.filtered_changes(user, mine="approval").where(Change.id == change.id)) is not None
        assert listed == bool(policy.decision_kinds(change, user)), (user.display_name, change.title)


def test_my_own_change_awaits_me_only_when_self_approval_is_allowed(client, login, db, org, my_work):
    """A requester is never asked to decide on their own change, unless the organisation allows self-approval."""
    login(my_work.user)
    assert "My own vCAB change" not in titles(client.get("/changes?mine=approval"))
    org.allow_self_approval = True
    db.session.commit()
    assert "My own vCAB change" in titles(client.get("/changes?mine=approval"))


def test_rejected_round_is_awaiting_again_after_resubmission(client, login, db, my_work, engineer, people):
    """After a rejection and a new submit, the approvers who decided the old round are asked again."""
    change = my_work.technical
    apply(operations.reject, change, people.operational, kind="operational", comment="Not yet")
    apply(operations.submit, change, engineer)
    login(people.operational)
    assert "I approve technically" in titles(client.get("/changes?mine=approval"))
    assert _db.session.scalar(_db.select(_db.func.count()).select_from(Approval)
                              .where(Approval.change_id == change.id)) == 1


def test_an_htmx_filter_for_the_url_already_shown_is_not_pushed_again(client, login, engineer):
    """Asking (by HTMX) for the very URL the browser shows answers HX-Push-Url: false; another URL is pushed."""
    login(engineer)
    url = "/changes?mine=&q=&state=draft&company="
    same = client.get(url, headers={"HX-Request": "true",
                                    "HX-Current-URL": "http://localhost/changes?state=draft&q=&company=&mine="})
    assert same.headers.get("HX-Push-Url") == "false" and "<html" not in text(same)
    other = client.get(url, headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/changes?state=&q="})
    assert "HX-Push-Url" not in other.headers
    full = client.get(url, headers={"HX-Current-URL": "http://localhost" + url})
    assert "HX-Push-Url" not in full.headers
    hostile = client.get(url, headers={"HX-Request": "true", "HX-Current-URL": "http://[::1/changes"})
    assert hostile.status_code == 200 and "HX-Push-Url" not in hostile.headers
