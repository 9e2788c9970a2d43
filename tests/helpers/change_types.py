"""Templates and risk answers for the change type tests (PRODUCT §2.7, §2.8)."""
from cbcw.changes import catalogue
from cbcw.extensions import db

# Answers to the default questionnaire that give each level (thresholds 3 and 7).
ANSWERS = {
    "low": {"users_affected": "none", "services_affected": "one", "tested": "yes", "rollback": "easy",
            "business_hours": "no"},  # score 1
    "medium": {"users_affected": "few", "services_affected": "one", "tested": "partly", "rollback": "easy",
               "business_hours": "no"},  # score 3
    "high": {"users_affected": "many", "services_affected": "critical", "tested": "no", "rollback": "easy",
             "business_hours": "no"},  # score 8
}


def template_fields(risk: str = "low", **overrides) -> catalogue.TemplateFields:
    values = {
        "title_pattern": "Quarterly backup restore test",
        "description": "Restore last night's backup to the test network.",
        "implementation_plan": "1. Restore\n2. Boot\n3. Log in",
        "rollback_plan": "Delete the restored VM.", "test_plan": "Domain login works.",
        "risk_answers": ANSWERS[risk], "default_duration_minutes": 90, "devices": "",
        **overrides,
    }
    return catalogue.TemplateFields(**values)


def approved_template(org_id: int, author, approver, risk: str = "low", company_id=None, **overrides):
    """A template whose first version `approver` approved; returns (template, version)."""
    template = catalogue.create_template(org_id, author, "Backup restore test", company_id,
                                         template_fields(risk, **overrides))
    version = template.versions[0]
    catalogue.approve_version(version, approver)
    db.session.commit()
    return template, version


def standard_fields(version, **overrides) -> dict:
    """ChangeFields arguments of a standard change from `version`, as the prefilled form posts them."""
    values = catalogue.prefill(version, standard=True)
    return {**values, **overrides}
