"""Change types, templates, the risk questionnaire and the approval policy (PRODUCT §2.7, §2.8):
every type × risk path through submit and approval, who may decide, the template's approval and
suspension, the review gate, raising the risk and vCAB eligibility."""
import pytest

from cbcw.changes import (approvals, catalogue, differences, operations, policy, policy_settings, queries,
                          requirements, risk)
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import ChangeFields
from cbcw.changes.models import Change, TimelineEntry
from cbcw.changes.unit_of_work import apply
from tests.helpers.change_types import ANSWERS, approved_template, standard_fields, template_fields

RISK_LEVELS = ("low", "medium", "high")
POLICY = {"low": ("technical",), "medium": ("technical", "operational"),
          "high": ("technical", "operational", "vcab")}


@pytest.fixture
def cast(make_user):
    class Cast:
        requester = make_user("engineer", display_name="Rita Requester")
        technical = make_user("engineer", display_name="Tess Technical")
        operational = make_user("msp", display_name="Otto Operational")
        ecab = make_user("engineer", display_name="Eddie Ecab", ecab_member=True)
        vcab = [make_user("engineer", vcab_member=True, display_name=f"Vcab {n}") for n in range(3)]
        author = make_user("msp", display_name="Tina Templates")
        admin = make_user("admin", display_name="Ada Admin")
        outsider = make_user("engineer", display_name="Nick Nobody")
        viewer = make_user("viewer", display_name="Vic Viewer", ecab_member=True, vcab_member=True)

    return Cast


@pytest.fixture
def draft(db, org, company, cast):
    def make(actor=None, **overrides):
        values = {"title": "Patch the file server", "company_id": company.id,
                  "technical_approver_id": cast.technical.id, "operational_approver_id": cast.operational.id,
                  "implementer_id": cast.requester.id, **overrides}
        change = operations.create_change(org.id, actor or cast.requester, ChangeFields(**values))
        db.session.commit()
        return change

    return make


def _kinds(db, change):
    return [k for k, in db.session.execute(
        db.select(TimelineEntry.kind).filter_by(change_id=change.id).order_by(TimelineEntry.id))]


# --- the risk questionnaire -------------------------------------------------------------------


@pytest.mark.parametrize("level", RISK_LEVELS)
def test_answers_give_the_level_score_and_drivers(draft, level):
    """The answers are stored with the score, the level and the answers that drove it, heaviest first."""
    change = draft(risk_answers=ANSWERS[level], risk="low")
    assert change.risk == level
    assert change.risk_score == {"low": 1, "medium": 3, "high": 8}[level]
    if level == "high":
        assert change.risk_drivers[:2] == ["How many users are affected? Many or everyone (+3)",
                                           "Which services are affected? A critical service (+3)"]


def test_an_unanswered_or_unknown_answer_is_refused(draft):
    with pytest.raises(LifecycleError, match="Answer the risk question “Was it tested beforehand\\?”"):
        draft(risk_answers={**ANSWERS["low"], "tested": "maybe"})
    with pytest.raises(LifecycleError, match="does not ask"):
        draft(risk_answers={**ANSWERS["low"], "colour": "red"})


def test_no_answers_keep_the_risk_as_given(draft):
    """Scripts and changes from before the questionnaire keep the level they set."""
    change = draft(risk="high")
    assert (change.risk, change.risk_score, change.risk_answers) == ("high", None, {})


def test_admin_edits_questions_weights_and_thresholds(db, org, draft):
    asked = policy_settings.parse_questions("outage | Any outage? | no = No = 0 ; yes = Yes = 5")
    policy_settings.save(org.id, asked, 2, 5, {"low": [], "medium": ["technical"], "high": ["technical"]})
    db.session.commit()
    assert [q.key for q in risk.questions(org.id)] == ["outage"]
    change = draft(risk_answers={"outage": "yes"})
    assert (change.risk, change.risk_score) == ("high", 5)
    assert requirements.policy_kinds(org.id, "normal", "low") == ()


@pytest.mark.parametrize("text, message", [
    ("x | Q", "Line 1: write key"),
    ("Bad Key | Q | a = A = 1 ; b = B = 2", "the key must be new"),
    ("k | Q | a = A = 1", "2 to 10 answers"),
    ("k | Q | a = A = -1 ; b = B = 2", "a weight is a whole number"),
    ("k | Q | a = A = 1 ; a = B = 2", "each with its own value"),
    ("", "Write 1 to 20 questions"),
])
def test_a_malformed_questionnaire_is_refused_with_its_line(text, message):
    with pytest.raises(policy_settings.PolicyError, match=message):
        policy_settings.parse_questions(text)


# --- normal changes: the policy by risk, every role --------------------------------------------


@pytest.mark.parametrize("level", RISK_LEVELS)
def test_normal_change_needs_what_the_policy_asks_for_its_risk(db, draft, cast, level):
    """Named approvers decide too; the policy adds the vCAB at high risk, and the last approval
    needed makes the change approved."""
    change = draft(risk_answers=ANSWERS[level], operational_approver_id=None if level == "low" else cast.operational.id)
    assert requirements.of_change(change).kinds == POLICY[level]
    assert change.requires_vcab is (level == "high")
    apply(operations.submit, change, cast.requester)
    assert change.state == "pending_approval"
    for kind in POLICY[level]:
        deciders = cast.vcab[:2] if kind == "vcab" else [getattr(cast, kind)]
        for person in deciders:
            assert change.state == "pending_approval"
            apply(operations.approve, change, person, kind=kind)
    assert change.state == "approved"


@pytest.mark.parametrize("level", RISK_LEVELS)
@pytest.mark.parametrize("who, kind", [("requester", "technical"), ("ecab", "ecab"), ("outsider", "technical"),
                                       ("operational", "technical"), ("viewer", "vcab"), ("admin", "operational")])
def test_normal_change_refuses_those_who_may_not_decide(draft, cast, level, who, kind):
    change = draft(risk_answers=ANSWERS[level])
    apply(operations.submit, change, cast.requester)
    with pytest.raises(LifecycleError):
        apply(operations.approve, change, getattr(cast, who), kind=kind)
    assert change.state == "pending_approval"


def test_low_risk_change_submits_without_an_operational_approver(draft, cast):
    change = draft(risk_answers=ANSWERS["low"], operational_approver_id=None)
    apply(operations.submit, change, cast.requester)
    apply(operations.approve, change, cast.technical, kind="technical")
    assert change.state == "approved"


def test_medium_risk_change_needs_both_approvers_named(draft, cast):
    change = draft(risk_answers=ANSWERS["medium"], operational_approver_id=None)
    with pytest.raises(LifecycleError, match="^Before submitting, give the change an operational approver.$"):
        apply(operations.submit, change, cast.requester)


def test_the_page_says_what_the_change_needs_and_why(draft, cast):
    change = draft(risk_answers=ANSWERS["medium"])
    assert approvals.approval_status(change).sentence == (
        "This change needs technical and operational approval because your organisation's policy asks "
        "technical and operational for normal medium-risk changes.")
    asked = draft(risk_answers=ANSWERS["low"], requires_vcab=True)
    assert "and the change asks for operational and the vCAB's approval too" in requirements.of_change(asked).sentence


def test_a_policy_asking_nothing_approves_on_submit(db, org, draft, cast, signal_log):
    policy_settings.save(org.id, list(risk.DEFAULT_QUESTIONS), 3, 7, {"low": [], "medium": ["technical"],
                                                                     "high": ["technical"]})
    db.session.commit()
    change = draft(risk_answers=ANSWERS["low"], technical_approver_id=None, operational_approver_id=None)
    apply(operations.submit, change, cast.requester)
    assert change.state == "approved" and signal_log.names()[-1] == "change-fully-approved"


# --- raising the risk --------------------------------------------------------------------------


def test_an_approver_raises_the_risk_with_a_reason_and_the_vcab_is_asked(db, draft, cast):
    change = draft(risk_answers=ANSWERS["medium"])
    apply(operations.submit, change, cast.requester)
    apply(operations.raise_risk, change, cast.technical, risk="high", reason="Touches the payroll database")
    assert change.risk == "high" and change.requires_vcab and change.state == "pending_approval"
    assert _kinds(db, change)[-1] == "risk_raised"
    apply(operations.approve, change, cast.technical, kind="technical")
    apply(operations.approve, change, cast.operational, kind="operational")
    assert change.state == "pending_approval"  # the vCAB now decides too
    assert [kind for kind, _ in approvals.approval_status(change).waiting_on] == ["vcab"] * 3


@pytest.mark.parametrize("who, level, reason, message", [
    ("technical", "low", "why", "never lowered"),
    ("technical", "medium", "why", "never lowered"),
    ("technical", "high", "", "Say why"),
    ("requester", "high", "why", "Only an approver"),
    ("outsider", "high", "why", "Only an approver"),
])
def test_the_risk_is_never_lowered_and_only_an_approver_raises_it(draft, cast, who, level, reason, message):
    change = draft(risk_answers=ANSWERS["medium"])
    apply(operations.submit, change, cast.requester)
    with pytest.raises(LifecycleError, match=message):
        apply(operations.raise_risk, change, getattr(cast, who), risk=level, reason=reason)
    assert change.risk == "medium"


# --- vCAB eligibility ---------------------------------------------------------------------------


def test_approvers_from_the_vcab_cannot_shrink_it_to_a_rubber_stamp(db, draft, cast):
    """PRODUCT §2.8: with three members and two of them named approvers, one eligible voter is
    fewer than half the board: refused at submit."""
    change = draft(risk_answers=ANSWERS["high"], technical_approver_id=cast.vcab[0].id,
                   operational_approver_id=cast.vcab[1].id)
    with pytest.raises(LifecycleError, match="fewer than half of the active board"):
        apply(operations.submit, change, cast.requester)
    assert db.session.get(Change, change.id).state == "draft"


def test_one_approver_from_the_vcab_leaves_enough_voters(draft, cast):
    change = draft(risk_answers=ANSWERS["high"], technical_approver_id=cast.vcab[0].id)
    apply(operations.submit, change, cast.requester)
    status = approvals.approval_status(change)
    assert change.state == "pending_approval" and (len(status.vcab_members), status.vcab_needed) == (2, 2)


# --- emergency changes ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", RISK_LEVELS)
def test_emergency_change_needs_one_ecab_approval_whatever_its_risk(draft, cast, level):
    change = draft(change_type="emergency", risk_answers=ANSWERS[level])
    assert requirements.of_change(change).kinds == ("ecab",) and not change.requires_vcab
    apply(operations.submit, change, cast.requester)
    assert policy.decision_kinds(change, cast.technical) == []  # named approvers do not decide
    assert policy.decision_kinds(change, cast.ecab) == ["ecab"]
    # "Awaiting my approval" and the navigation's count say the same as the rules
    assert queries.awaiting_approval_count(cast.ecab) == 1 and queries.awaiting_approval_count(cast.technical) == 0
    assert queries.awaiting_approval_count(cast.requester) == 0
    apply(operations.approve, change, cast.ecab, kind="ecab", comment="Outage ongoing")
    assert change.state == "approved" and queries.awaiting_approval_count(cast.ecab) == 0


@pytest.mark.parametrize("who", ["requester", "technical", "outsider", "admin", "viewer"])
def test_emergency_change_is_approved_by_no_one_but_an_ecab_member(db, org, draft, cast, who):
    """Not the requester even if they are on the ECAB, nor on a small team."""
    cast.requester.ecab_member = True
    org.allow_self_approval = True
    db.session.commit()
    change = draft(change_type="emergency")
    apply(operations.submit, change, cast.requester)
    with pytest.raises(LifecycleError):
        apply(operations.approve, change, getattr(cast, who), kind="ecab")
    assert change.state == "pending_approval"


def test_emergency_change_without_another_ecab_member_is_refused_at_submit(db, draft, cast):
    cast.ecab.ecab_member = False
    cast.requester.ecab_member = True
    db.session.commit()
    change = draft(change_type="emergency")
    with pytest.raises(LifecycleError, match="needs an ECAB member other than its requester"):
        apply(operations.submit, change, cast.requester)


@pytest.fixture
def emergency_in_progress(draft, cast):
    def make(**overrides):
        change = draft(change_type="emergency", **overrides)
        apply(operations.submit, change, cast.requester)
        apply(operations.approve, change, cast.ecab, kind="ecab")
        from tests.changes.conftest import WINDOW_END, WINDOW_START
        apply(operations.schedule, change, cast.requester, window_start=WINDOW_START, window_end=WINDOW_END,
              implementer_id=cast.requester.id)
        apply(operations.start_implementation, change, cast.requester)
        return change

    return make


REVIEW = dict(what_was_done="Restarted the storage controller", why_urgent="The file server was down",
              outcome="Service back in 10 minutes", follow_ups="Replace the controller's battery")


@pytest.mark.parametrize("finish", ["complete", "fail"])
def test_completed_or_failed_emergency_change_awaits_its_review(db, emergency_in_progress, cast, signal_log, finish):
    change = emergency_in_progress()
    if finish == "complete":
        apply(operations.complete, change, cast.requester, completion_notes="Done", test_results="OK")
    else:
        apply(operations.fail, change, cast.requester, failure_reason="Disk", rollback_notes="Rolled back")
    assert change.review_due and "review" in policy.allowed_actions(change, cast.requester)
    assert "review" not in policy.allowed_actions(change, cast.outsider)
    apply(operations.record_review, change, cast.requester, **REVIEW)
    assert not change.review_due and change.review.why_urgent == "The file server was down"
    assert signal_log.of("review-recorded")[0]["follow_ups"] == "Replace the controller's battery"
    assert "review" not in policy.allowed_actions(change, cast.requester)
    with pytest.raises(LifecycleError, match="already recorded"):
        apply(operations.record_review, change, cast.requester, **REVIEW)


def test_review_needs_every_answer_and_a_finished_emergency_change(draft, emergency_in_progress, cast):
    change = emergency_in_progress()
    with pytest.raises(LifecycleError, match="You can only review a change that is completed or failed"):
        apply(operations.record_review, change, cast.requester, **REVIEW)
    apply(operations.complete, change, cast.requester, completion_notes="Done", test_results="OK")
    with pytest.raises(LifecycleError, match="Say why it could not wait"):
        apply(operations.record_review, change, cast.requester, **{**REVIEW, "why_urgent": "  "})
    assert change.review_due


def test_a_normal_change_has_no_review(in_progress_change, people):
    change = in_progress_change()
    apply(operations.complete, change, people.implementer, completion_notes="Done", test_results="OK")
    assert not change.review_due
    with pytest.raises(LifecycleError):
        apply(operations.record_review, change, people.implementer, **REVIEW)


# --- templates and standard changes -------------------------------------------------------------------


def test_template_version_is_approved_by_an_admin_other_than_its_author(db, org, cast, make_user):
    template = catalogue.create_template(org.id, cast.admin, "Restore test", None, template_fields())
    db.session.commit()
    version = template.versions[0]
    for who, message in ((cast.admin, "other than its author"), (cast.author, "Only an admin"),
                         (cast.requester, "Only an admin")):
        with pytest.raises(LifecycleError, match=message):
            catalogue.approve_version(version, who)
    other = make_user("admin")
    catalogue.approve_version(version, other)
    assert version.approved_by_id == other.id
    with pytest.raises(LifecycleError, match="already approved"):
        catalogue.approve_version(version, make_user("admin"))


def test_engineers_do_not_write_templates(org, cast):
    with pytest.raises(LifecycleError, match="Only an admin or an MSP user"):
        catalogue.create_template(org.id, cast.requester, "Mine", None, template_fields())


def test_a_standard_change_needs_an_approved_template(db, org, draft, cast):
    with pytest.raises(LifecycleError, match="made from an approved template"):
        draft(change_type="standard")
    template = catalogue.create_template(org.id, cast.author, "Restore test", None, template_fields())
    db.session.commit()
    with pytest.raises(LifecycleError, match="has no approved version yet"):
        draft(**standard_fields(template.versions[0]))


def test_standard_change_is_approved_on_submit_whatever_the_roles(db, org, company, draft, cast, signal_log):
    """Submit takes it straight to approved: no approver is asked, whoever is named."""
    _, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id))
    assert change.risk == "low" and requirements.of_change(change).kinds == ()
    apply(operations.submit, change, cast.requester)
    assert change.state == "approved" and signal_log.names()[-1] == "change-fully-approved"
    assert _kinds(db, change)[-2:] == ["submitted", "fully_approved"]
    assert all(policy.decision_kinds(change, person) == [] for person in (cast.technical, cast.ecab, cast.vcab[0]))


@pytest.mark.parametrize("level", ("medium", "high"))
def test_only_a_low_risk_version_is_approved_for_standard_changes(db, org, cast, level):
    template = catalogue.create_template(org.id, cast.author, "Restore test", None, template_fields(level))
    db.session.commit()
    version = template.versions[0]
    refusal = f"Version 1 of “Restore test” is {level} risk, and a standard change is low"
    with pytest.raises(LifecycleError, match=refusal):
        catalogue.approve_version(version, cast.admin)
    assert version.approved_at is None


def test_a_version_approved_before_the_low_risk_rule_makes_no_standard_change(db, org, company, draft, cast):
    _, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id))
    version.risk = "medium"  # approved when a medium-risk version still could be
    db.session.commit()
    with pytest.raises(LifecycleError, match="is medium risk, and a standard change is low"):
        apply(operations.submit, change, cast.requester)
    assert change.state == "draft"


def test_a_standard_change_that_does_something_else_is_refused_on_submit(db, org, company, draft, cast):
    """The security review's case: an approved template's id on a change that wipes production."""
    _, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id, title="Wipe production database",
                                     implementation_plan="drop everything"))
    with pytest.raises(LifecycleError, match=(
            "implementation plan differs from its template “Backup restore test v1”.*Make it a normal change")):
        apply(operations.submit, change, cast.requester)
    assert change.state == "draft" and _kinds(db, change)[-1] != "fully_approved"


def test_the_refusal_names_every_plan_that_differs(db, org, company, draft, cast):
    _, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id, implementation_plan="1. Restore\n2. Boot",
                                     rollback_plan="None", test_plan=""))
    with pytest.raises(LifecycleError, match="implementation plan, rollback plan and test plan differ from"):
        apply(operations.submit, change, cast.requester)
    change = draft(**standard_fields(version, company_id=company.id, rollback_plan="None"))
    with pytest.raises(LifecycleError, match="change's rollback plan differs from"):
        apply(operations.submit, change, cast.requester)


def test_a_standard_change_may_retitle_and_redescribe_but_keeps_the_plans(db, org, company, draft, cast):
    """Title and description are the change's own; the plans compare without line endings and
    surrounding whitespace (a browser posts CRLF)."""
    _, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id, title="Restore test for Acme",
                                     description="Acme's file server this quarter.",
                                     implementation_plan="  1. Restore\r\n2. Boot\r\n3. Log in\r\n",
                                     test_plan="\nDomain login works.  "))
    apply(operations.submit, change, cast.requester)
    assert change.state == "approved"
    assert [d.label for d in differences.from_template(change)] == ["Title", "Description"]


def test_standard_change_is_no_riskier_than_its_template(org, company, draft, cast):
    _, version = approved_template(org.id, cast.author, cast.admin, risk="low")
    with pytest.raises(LifecycleError, match="make it a normal change"):
        draft(**standard_fields(version, risk_answers=ANSWERS["medium"]))


def test_a_company_template_serves_only_its_company(org, company, make_company, draft, cast):
    _, version = approved_template(org.id, cast.author, cast.admin, company_id=company.id)
    with pytest.raises(LifecycleError, match="is for Acme Manufacturing only"):
        draft(**standard_fields(version, company_id=make_company("Other").id))


def test_a_new_version_is_a_new_row_and_old_changes_keep_theirs(db, org, company, draft, cast):
    template, first = approved_template(org.id, cast.author, cast.admin)
    old = draft(**standard_fields(first, company_id=company.id))
    second = catalogue.new_version(template, cast.author, template_fields(title_pattern="Restore test v2"))
    db.session.commit()
    assert (second.version, second.id != first.id) == (2, True)
    draft(**standard_fields(first, company_id=company.id))  # v2 awaits approval: v1 is still the one in use
    catalogue.approve_version(second, cast.admin)
    db.session.commit()
    with pytest.raises(LifecycleError, match="newer approved version"):
        draft(**standard_fields(first, company_id=company.id))
    apply(operations.submit, old, cast.requester)  # a change made from v1 keeps it
    assert old.state == "approved" and old.template_version_id == first.id


def test_a_failed_standard_change_suspends_its_template_until_an_admin_reinstates_it(db, org, company, draft, cast):
    template, version = approved_template(org.id, cast.author, cast.admin)
    change = draft(**standard_fields(version, company_id=company.id))
    from tests.changes.conftest import WINDOW_END, WINDOW_START
    apply(operations.submit, change, cast.requester)
    apply(operations.schedule, change, cast.requester, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=cast.requester.id)
    apply(operations.start_implementation, change, cast.requester)
    apply(operations.fail, change, cast.requester, failure_reason="Restore hung", rollback_notes="VM deleted")
    assert template.suspended and "Restore hung" in template.suspended_reason
    assert _kinds(db, change)[-1] == "template_suspended"
    with pytest.raises(LifecycleError, match="is suspended until an admin reviews it"):
        draft(**standard_fields(version, company_id=company.id))
    assert catalogue.usage([template.id])[template.id].success_rate == 0
    with pytest.raises(LifecycleError, match="Only an admin"):
        catalogue.reinstate(template, cast.author)
    catalogue.reinstate(template, cast.admin)
    db.session.commit()
    draft(**standard_fields(version, company_id=company.id))
    assert catalogue.usage([template.id])[template.id].used == 2


def test_usage_counts_uses_and_the_success_rate(db, org, company, draft, cast):
    template, version = approved_template(org.id, cast.author, cast.admin)
    assert catalogue.usage([template.id])[template.id].success_rate is None
    changes = [draft(**standard_fields(version, company_id=company.id)) for _ in range(3)]
    changes[0].state, changes[1].state = "completed", "completed"
    db.session.commit()
    usage = catalogue.usage([template.id])[template.id]
    assert (usage.used, usage.completed, usage.success_rate) == (3, 2, 100)


def test_raising_the_risk_writes_the_change_once(draft, cast):
    change = draft(risk_answers=ANSWERS["medium"])
    apply(operations.submit, change, cast.requester)
    version = change.version
    apply(operations.raise_risk, change, cast.technical, risk="high", reason="Payroll")
    assert change.version == version + 1


def test_raising_the_risk_asks_for_an_approver_the_change_lacks(draft, cast):
    change = draft(risk_answers=ANSWERS["low"], operational_approver_id=None)
    apply(operations.submit, change, cast.requester)
    with pytest.raises(LifecycleError, match="At medium risk this change needs an operational approver"):
        apply(operations.raise_risk, change, cast.technical, risk="medium", reason="Wider impact")
    assert change.risk == "low"
