"""The demo's standard change catalogue (PRODUCT §2.7): one template, written by the MSP user and
approved by the admin, so a new user sees a standard change and where it came from."""
from cbcw.accounts.models import User
from cbcw.changes import catalogue
from cbcw.changes.type_models import TemplateVersion
from cbcw.organisations.models import Company, Organisation

# The lowest answer of each default question: a low-risk, repeatable change.
LOW_RISK_ANSWERS = {"users_affected": "none", "services_affected": "one", "tested": "yes",
                    "rollback": "easy", "business_hours": "no"}


def approved_template(org: Organisation, author: User, approver: User, company: Company) -> TemplateVersion:
    template = catalogue.create_template(org.id, author, "Quarterly backup restore test", company.id, catalogue.TemplateFields(
        title_pattern="Quarterly backup restore test",
        description="Restore last night's configuration backup of @bw-fw01 to the spare unit and check it boots.",
        implementation_plan="1. Pick last night's backup\n2. Restore it to the spare unit\n3. Boot and log in",
        rollback_plan="Wipe the spare unit; production is not touched.",
        test_plan="The spare unit boots with the production rules.",
        risk_answers=LOW_RISK_ANSWERS, default_duration_minutes=60, devices="@bw-fw01",
    ))
    version = template.versions[0]
    catalogue.approve_version(version, approver)
    return version


def standard_change_fields(version: TemplateVersion, company_name: str) -> dict:
    """`seed._seed_changes`'s `new(...)` arguments for a standard change from the version."""
    fields = catalogue.prefill(version, standard=True)
    fields.pop("company_id")
    return {**fields, "company": company_name}
