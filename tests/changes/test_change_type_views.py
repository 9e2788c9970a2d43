"""The pages of change types (PRODUCT §2.7, §2.8): /templates, New change from template and its
difference, the risk level and approvals required (htmx and on save), raising the risk, the
review, Settings → Risk and approvals, the ECAB flag; hostile input is never a 500."""
import pytest
from sqlalchemy import select

from cbcw.changes import catalogue, operations
from cbcw.changes.models import Change
from cbcw.changes.type_models import ChangeTemplate, TemplateVersion
from cbcw.changes.unit_of_work import apply
from tests.helpers.change_types import ANSWERS, approved_template, template_fields

from .conftest import WINDOW_END, WINDOW_START


def text(response) -> str:
    return response.get_data(as_text=True)


def answers(level: str) -> dict:
    return {f"risk_{key}": value for key, value in ANSWERS[level].items()}


@pytest.fixture
def msp(make_user):
    return make_user("msp", display_name="Mia Msp")


def _form(company, people, **overrides):
    return {"title": "Restore test", "company_id": str(company.id), "risk": "low", "change_type": "normal",
            "technical_approver_id": str(people.technical.id), "operational_approver_id": str(people.operational.id),
            "implementer_id": str(people.implementer.id), **overrides}


# --- /templates -------------------------------------------------------------------------------


def test_msp_writes_a_template_and_another_admin_approves_it(client, post, login_as, db, msp, admin, engineer):
    login_as(msp)
    response = post("/templates/new", {"name": "Restore test", "company_id": "", "title_pattern": "Restore <b>test</b>",
                                       "default_duration_minutes": "90", "devices": "@fs01 @fs02", **answers("low")})
    template = db.session.scalar(select(ChangeTemplate))
    assert response.status_code == 302 and template.versions[0].risk == "low"
    page = text(client.get(f"/templates/{template.id}"))
    assert "Awaiting approval by an admin other than its author" in page and "Restore &lt;b&gt;test&lt;/b&gt;" in page
    assert "New change from template" not in page
    login_as(admin)
    response = post(f"/templates/{template.id}/versions/{template.versions[0].id}/approve", follow_redirects=True)
    assert "Version 1 approved: it creates standard changes now." in text(response), text(response)[-3000:]
    db.session.expire_all()
    assert db.session.get(TemplateVersion, template.versions[0].id).approved_by_id == admin.id
    login_as(engineer)
    listing = text(client.get("/templates"))
    assert "Restore test" in listing and "Approved" in listing and "New template" not in listing
    assert "New change from template" in text(client.get(f"/templates/{template.id}"))
    assert client.get("/templates/new").status_code == 403


def test_a_sole_admins_template_says_another_admin_is_needed(client, login_as, db, org, admin, make_user):
    """With one admin, the admin's own template could never be approved: the page says why; with a
    second admin it does not."""
    template = catalogue.create_template(org.id, admin, "Mine", None, template_fields())
    db.session.commit()
    login_as(admin)
    hint = "your organisation has one admin: invite another to approve templates"
    assert hint in text(client.get(f"/templates/{template.id}"))
    make_user("admin")
    assert hint not in text(client.get(f"/templates/{template.id}"))


def test_the_author_cannot_approve_their_own_version(client, post, login_as, db, org, admin):
    template = catalogue.create_template(org.id, admin, "Mine", None, template_fields())
    db.session.commit()
    login_as(admin)
    response = post(f"/templates/{template.id}/versions/{template.versions[0].id}/approve", follow_redirects=True)
    assert "An admin other than its author must approve this version." in text(response)
    assert template.versions[0].approved_at is None


def test_editing_adds_a_version(client, post, login_as, db, org, msp, admin):
    template, first = approved_template(org.id, msp, admin)
    login_as(msp)
    page = text(client.get(f"/templates/{template.id}/edit"))
    assert "Quarterly backup restore test" in page
    post(f"/templates/{template.id}/edit", {"name": "ignored", "title_pattern": "Restore test v2",
                                            "default_duration_minutes": "30", **answers("low")})
    db.session.expire_all()
    versions = db.session.scalars(select(TemplateVersion).order_by(TemplateVersion.version)).all()
    assert [(v.version, v.title_pattern) for v in versions] == [(1, "Quarterly backup restore test"), (2, "Restore test v2")]
    assert db.session.get(ChangeTemplate, template.id).name == "Backup restore test"


@pytest.mark.parametrize("field, value, message", [
    ("devices", "fs01; rm -rf", "Write devices as @hostname"),
    ("default_duration_minutes", "99999999999999999999", "Number must be between 1 and 10080."),
    ("default_duration_minutes", "1e3", "Not a valid integer value"),
    ("risk_tested", "maybe", "Not a valid choice"),
    ("title_pattern", "x" * 201, "Field cannot be longer than 200 characters"),
])
def test_hostile_template_input_is_shown_beside_the_field(client, post, login_as, msp, field, value, message):
    login_as(msp)
    data = {"name": "T", "title_pattern": "T", "default_duration_minutes": "60", **answers("low"), field: value}
    response = post("/templates/new", data)
    assert response.status_code == 200 and message in text(response)


@pytest.mark.parametrize("url", ["/templates/999999999999999999999", "/templates/0",
                                 "/changes/new?template=abc", "/changes/new?template=99999999999999999999",
                                 "/changes/new?template=0"])
def test_unknown_templates_are_404(client, login_as, engineer, url):
    login_as(engineer)
    assert client.get(url).status_code == 404


def test_another_organisations_template_is_404(client, login_as, db, make_org, make_user, engineer):
    other = make_org("Other MSP")
    author, approver = make_user("msp", organisation=other), make_user("admin", organisation=other)
    template, _ = approved_template(other.id, author, approver)
    login_as(engineer)
    assert client.get(f"/templates/{template.id}").status_code == 404
    assert client.get(f"/changes/new?template={template.id}").status_code == 404


# --- New change from template -----------------------------------------------------------------


def test_new_change_from_template_prefills_and_the_change_shows_its_edits(client, post, login_as, db, org, company,
                                                                         msp, admin, people):
    template, version = approved_template(org.id, msp, admin, company_id=company.id, devices="@fs01")
    login_as(people.implementer)
    page = text(client.get(f"/changes/new?template={template.id}"))
    assert 'value="Quarterly backup restore test"' in page and "Devices: @fs01" in page
    assert '<option selected value="standard">' in page and f'value="{version.id}"' in page
    assert '<option selected value="yes">Yes, the same change in a test environment</option>' in page
    assert "no approval round because it is a standard change" in page
    response = post("/changes/new", _form(company, people, change_type="standard", template_version_id=str(version.id),
                                          title="Quarterly backup restore test",
                                          description="Restore <script>x</script> instead.\n\nDevices: @fs01",
                                          implementation_plan="1. Restore\n2. Boot\n3. Log in",
                                          rollback_plan="Delete the restored VM.", test_plan="Domain login works.",
                                          **answers("low")))
    change = db.session.scalar(select(Change))
    assert response.status_code == 302 and change.change_type == "standard" and change.template_version_id == version.id
    page = text(client.get(f"/changes/{change.id}"))
    assert "Backup restore test v1" in page and "Edits from the template" in page
    assert "Restore &lt;script&gt;x&lt;/script&gt; instead." in page and "<script>x" not in page
    assert "Restore last night&#39;s backup to the test network." in page  # the removed line
    assert "Implementation plan</strong>" not in page  # unchanged fields show no difference
    post(f"/changes/{change.id}/submit")
    assert db.session.get(Change, change.id).state == "approved"


def test_a_standard_change_that_wipes_production_is_not_approved_on_submit(client, post, login_as, db, org, company,
                                                                          msp, admin, people):
    """The security review's case: an approved template's version on a change that does something else."""
    _, version = approved_template(org.id, msp, admin, company_id=company.id)
    login_as(people.implementer)
    post("/changes/new", _form(company, people, change_type="standard", template_version_id=str(version.id),
                               title="Wipe production database", implementation_plan="drop everything",
                               rollback_plan="Delete the restored VM.", test_plan="Domain login works.",
                               **answers("low")))
    change = db.session.scalar(select(Change))
    page = text(post(f"/changes/{change.id}/submit", follow_redirects=True))
    refusal = "This standard change&#39;s implementation plan differs from its template “Backup restore test v1”"
    assert refusal in page and "Make it a normal change" in page, page[-3000:]
    db.session.expire_all()
    assert db.session.get(Change, change.id).state == "draft"


def test_a_medium_risk_version_is_not_approved_for_standard_changes(client, post, login_as, db, org, msp, admin):
    template = catalogue.create_template(org.id, msp, "Firmware update", None, template_fields("medium"))
    db.session.commit()
    login_as(admin)
    page = text(client.get(f"/templates/{template.id}"))
    assert "Not approvable: a standard change is low risk" in page and "Approve v1" not in page
    page = text(post(f"/templates/{template.id}/versions/{template.versions[0].id}/approve", follow_redirects=True))
    assert "Version 1 of “Firmware update” is medium risk, and a standard change is low risk" in page
    db.session.expire_all()
    assert db.session.get(TemplateVersion, template.versions[0].id).approved_at is None


def test_a_suspended_template_starts_a_normal_change(client, login_as, db, org, msp, admin, engineer):
    template, _ = approved_template(org.id, msp, admin)
    template.suspended = True
    db.session.commit()
    login_as(engineer)
    page = text(client.get(f"/changes/new?template={template.id}", follow_redirects=True))
    assert "is suspended until an admin reviews it" in page and '<option selected value="normal">' in page


def test_a_forged_template_version_is_refused_on_the_form(client, post, login_as, db, company, people):
    login_as(people.implementer)
    for forged in ("999999999999999999999", "abc", "12"):
        response = post("/changes/new", _form(company, people, change_type="standard", template_version_id=forged))
        assert response.status_code == 200 and "made from an approved template" in text(response)
    assert db.session.scalar(select(Change)) is None


# --- the risk level and the approvals required --------------------------------------------------


@pytest.mark.parametrize("level, needed", [
    ("low", "This change needs technical and operational approval"),
    ("medium", "This change needs technical and operational approval"),
    ("high", "This change needs technical, operational and the vCAB&#39;s approval"),
])
def test_the_requirement_partial_follows_the_answers(client, login_as, people, level, needed):
    login_as(people.implementer)
    response = client.get("/changes/requirement", query_string={
        "change_type": "normal", "technical_approver_id": str(people.technical.id),
        "operational_approver_id": str(people.operational.id), **answers(level)})
    page = text(response)
    assert response.status_code == 200 and f"risk-{level}" in page and needed in page
    assert "<html" not in page


def test_the_fallback_risk_level_is_pointed_to_where_it_is(client, login_as, people):
    """The note under the questions sends the user up to the fallback level, which sits above it."""
    login_as(people.implementer)
    page = text(client.get("/changes/new"))
    fallback, note = page.index("Risk level without the questionnaire"), page.index("the risk level chosen above is used")
    assert fallback < note and "below is used" not in page


def test_the_requirement_partial_takes_hostile_values(client, login_as, people):
    login_as(people.implementer)
    response = client.get("/changes/requirement", query_string={
        "change_type": "<b>", "risk": "extreme", "technical_approver_id": "99999999999999999999999",
        "risk_tested": "maybe", "risk_colour": "red"})
    assert response.status_code == 200 and "Answer the risk question" in text(response)


def test_without_javascript_the_level_shows_on_save(client, post, login_as, db, company, people, make_user):
    for _ in range(3):
        make_user(vcab_member=True)
    login_as(people.implementer)
    response = post("/changes/new", _form(company, people, **answers("high")), follow_redirects=True)
    page = text(response)
    assert "High risk" in page and "score 8" in page and "Driven by: How many users are affected? Many" in page
    assert "because your organisation&#39;s policy asks technical, operational and the vCAB&#39;s" in page
    change = db.session.scalar(select(Change))
    page = text(client.get(f"/changes/{change.id}/edit"))
    assert '<option selected value="many">' in page and "score 8" in page


def test_an_incomplete_questionnaire_comes_back_with_the_question(client, post, login_as, db, company, people):
    login_as(people.implementer)
    response = post("/changes/new", _form(company, people, risk_tested="yes"))
    assert response.status_code == 200 and "Answer the risk question “How many users are affected?”" in text(response)


# --- raise the risk, the review ------------------------------------------------------------------


def test_an_approver_raises_the_risk_from_the_change_page(client, post, login_as, db, pending_change, people, make_user):
    for _ in range(3):
        make_user(vcab_member=True)
    change = pending_change()
    login_as(people.technical)
    page = text(client.get(f"/changes/{change.id}?action=raise_risk"))
    assert "Raise the risk" in page and '<option value="high">' in page and '<option value="low">' not in page
    post(f"/changes/{change.id}/raise_risk", {"raise_risk-risk": "high", "raise_risk-reason": "Payroll <db>"})
    db.session.expire_all()
    assert db.session.get(Change, change.id).risk == "high"
    timeline = text(client.get(f"/changes/{change.id}?tab=timeline"))
    assert "Raised the risk from medium to high: Payroll &lt;db&gt;" in timeline


def test_the_review_is_asked_for_and_recorded_on_the_page(client, post, login_as, db, new_change, people, make_user):
    ecab = make_user(ecab_member=True)
    change = new_change(change_type="emergency")
    requester = db.session.get(type(people.implementer), change.created_by_id)
    apply(operations.submit, change, requester)
    apply(operations.approve, change, ecab, kind="ecab")
    apply(operations.schedule, change, requester, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=people.implementer.id)
    apply(operations.start_implementation, change, people.implementer)
    apply(operations.complete, change, people.implementer, completion_notes="Done", test_results="OK")
    login_as(people.implementer)
    page = text(client.get(f"/changes/{change.id}"))
    assert "counts as closed once its post-implementation review is recorded" in page and "Record review…" in page
    assert "<dt>ECAB</dt><dd>" in page and f"by {ecab.display_name}" in page
    response = post(f"/changes/{change.id}/review", {"review-what_was_done": "Patched", "review-why_urgent": "",
                                                     "review-outcome": "Fine", "review-follow_ups": "None"})
    assert response.status_code == 200 and "This field is required." in text(response)
    post(f"/changes/{change.id}/review", {"review-what_was_done": "Patched", "review-why_urgent": "Exploited CVE",
                                          "review-outcome": "Fine", "review-follow_ups": "None"})
    page = text(client.get(f"/changes/{change.id}"))
    assert "Exploited CVE" in page and "Record review…" not in page


# --- settings ----------------------------------------------------------------------------------------


def test_admin_edits_the_questionnaire_and_the_policy(client, post, login_as, db, org, admin, msp):
    login_as(msp)
    assert client.get("/settings/risk").status_code == 403
    login_as(admin)
    page = text(client.get("/settings/risk"))
    assert "users_affected | How many users are affected? | none = None = 0" in page
    response = post("/settings/risk", {"questions": "outage | Any outage? | no = No = 0 ; yes = Yes = 5",
                                       "medium_threshold": "2", "high_threshold": "5",
                                       "policy_low_technical": "y", "policy_high_vcab": "y"})
    assert response.status_code == 302
    from cbcw.changes import requirements, risk
    assert [q.key for q in risk.questions(org.id)] == ["outage"]
    assert requirements.policy_table(org.id) == {"low": ["technical"], "medium": [], "high": ["vcab"]}


@pytest.mark.parametrize("data, message", [
    ({"questions": "bad line", "medium_threshold": "3", "high_threshold": "7"}, "Line 1: write key"),
    ({"questions": "k | Q | a = A = 1 ; b = B = 2", "medium_threshold": "7", "high_threshold": "3"}, "must be above"),
    ({"questions": "k | Q | a = A = 1 ; b = B = 2", "medium_threshold": "9" * 30, "high_threshold": "3"},
     "Number must be between 1 and 10000."),
])
def test_a_wrong_questionnaire_is_explained(client, post, login_as, admin, data, message):
    login_as(admin)
    response = post("/settings/risk", data)
    assert response.status_code == 200 and message in text(response)


def test_only_an_admin_names_ecab_members(client, post, login_as, db, admin, msp, make_user):
    user = make_user("engineer", display_name="Future Ecab")
    data = {"display_name": user.display_name, "email": user.email, "role": "engineer", "timezone": "Europe/London",
            "active": "y", "ecab_member": "y"}
    login_as(msp)
    assert "ECAB member" not in text(client.get(f"/settings/users/{user.id}/edit"))
    post(f"/settings/users/{user.id}/edit", data)
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).ecab_member
    login_as(admin)
    post(f"/settings/users/{user.id}/edit", data)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).ecab_member
    assert "ECAB" in text(client.get("/settings/users"))
