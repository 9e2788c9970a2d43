"""The standard change catalogue (PRODUCT §2.7): templates, their versions, approval, suspension.

A template's fields live in versions: editing one adds a version (a new row), so a change keeps
the version it was made from. A version creates standard changes once an admin other than its
author approved it; a new change uses the template's latest approved version. A standard change
that fails suspends its template until an admin reviews it.

The pre-approval is for what the template does: a version must be low risk to be approved, and a
standard change carries its version's implementation, rollback and test plans (its title and
description may differ, shown as the difference from the template).
"""
from dataclasses import dataclass, field, fields as dataclass_fields
from typing import Optional

from sqlalchemy import case, func, select, update

from cbcw.accounts.models import User
from cbcw.changes.errors import LifecycleError
from cbcw.changes.labels import FIELD_LABELS, spoken_list
from cbcw.changes.models import Change
from cbcw.changes.risk import assess
from cbcw.changes.type_models import ChangeTemplate, TemplateVersion
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.organisations.models import Company

EDIT_ROLES = frozenset({"admin", "msp"})
NAME_MAX = 120
DEVICES_MAX = 1000
DURATION_MAX_MINUTES = 7 * 24 * 60
# What a standard change actually does: the fields it must take unchanged from its template version.
PLANS = ("implementation_plan", "rollback_plan", "test_plan")


@dataclass(frozen=True)
class TemplateFields:
    """What a person writes in a template version."""

    title_pattern: str = ""
    description: str = ""
    implementation_plan: str = ""
    rollback_plan: str = ""
    test_plan: str = ""
    risk_answers: dict = field(default_factory=dict)
    default_duration_minutes: int = 60
    devices: str = ""

    @classmethod
    def of(cls, version: TemplateVersion) -> "TemplateFields":
        return cls(**{f.name: getattr(version, f.name) for f in dataclass_fields(cls)})


def _require_editor(actor: User, organisation_id: int) -> None:
    if actor.organisation_id != organisation_id or not actor.active or actor.role not in EDIT_ROLES:
        raise LifecycleError("Only an admin or an MSP user can write templates.")


def _version(template: ChangeTemplate, actor: User, number: int, values: TemplateFields) -> TemplateVersion:
    if not values.title_pattern.strip():
        raise LifecycleError("Give the template a title pattern.")
    if not 1 <= values.default_duration_minutes <= DURATION_MAX_MINUTES:
        raise LifecycleError("The default duration must be between 1 minute and 7 days.")
    assessment = assess(template.organisation_id, values.risk_answers)
    version = TemplateVersion(organisation_id=template.organisation_id, template=template, version=number,
                              author_id=actor.id, risk=assessment.level,
                              **{f.name: getattr(values, f.name) for f in dataclass_fields(TemplateFields)})
    version.title_pattern = values.title_pattern.strip()
    db.session.add(version)
    return version


def create_template(organisation_id: int, actor: User, name: str, company_id: Optional[int],
                    values: TemplateFields) -> ChangeTemplate:
    """A new template with its first version, awaiting approval; the caller commits."""
    _require_editor(actor, organisation_id)
    name = (name or "").strip()
    if not name:
        raise LifecycleError("Give the template a name.")
    if company_id is not None:
        company = db.session.get(Company, company_id)
        if company is None or company.organisation_id != organisation_id:
            raise LifecycleError("The company must be one of your organisation's companies.")
    template = ChangeTemplate(organisation_id=organisation_id, company_id=company_id, name=name,
                              created_by_id=actor.id)
    db.session.add(template)
    _version(template, actor, 1, values)
    db.session.flush()
    return template


def new_version(template: ChangeTemplate, actor: User, values: TemplateFields) -> TemplateVersion:
    """The next version of the template (a new row), awaiting approval; the caller commits.

    Two editors saving at once both read the same last number: the unique (template, version)
    refuses the second, which the caller reports as a conflict."""
    _require_editor(actor, template.organisation_id)
    last = db.session.scalar(select(func.max(TemplateVersion.version))
                             .where(TemplateVersion.template_id == template.id)) or 0
    version = _version(template, actor, last + 1, values)
    db.session.flush()
    return version


def approve_version(version: TemplateVersion, actor: User) -> None:
    """An admin other than the author approves the version; approving twice is refused.

    One conditional UPDATE decides, so two admins approving at the same moment cannot both."""
    if actor.organisation_id != version.organisation_id or not actor.active or actor.role != "admin":
        raise LifecycleError("Only an admin can approve a template.")
    if actor.id == version.author_id:
        raise LifecycleError("An admin other than its author must approve this version.")
    _require_low_risk(version)
    done = db.session.execute(
        update(TemplateVersion)
        .where(TemplateVersion.id == version.id, TemplateVersion.approved_at.is_(None))
        .values(approved_by_id=actor.id, approved_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise LifecycleError("This version is already approved.")
    db.session.refresh(version)


def _require_low_risk(version: TemplateVersion) -> None:
    if version.risk != "low":
        raise LifecycleError(
            f"Version {version.version} of “{version.template.name}” is {version.risk} risk, and a standard "
            "change is low risk: write a low-risk version, or use the template for normal changes.")


def reinstate(template: ChangeTemplate, actor: User) -> None:
    """An admin has reviewed a suspended template: it may create standard changes again."""
    if actor.organisation_id != template.organisation_id or not actor.active or actor.role != "admin":
        raise LifecycleError("Only an admin can reinstate a suspended template.")
    if not template.suspended:
        raise LifecycleError("This template is not suspended.")
    template.suspended = False
    template.suspended_reason = ""
    db.session.flush()


def latest_approved(template: ChangeTemplate) -> Optional[TemplateVersion]:
    return next((v for v in reversed(template.versions) if v.approved_at is not None), None)


def usable_refusal(template: ChangeTemplate) -> Optional[str]:
    """Why the template cannot create a standard change now, or None."""
    if template.suspended:
        return f"The template “{template.name}” is suspended until an admin reviews it."
    if latest_approved(template) is None:
        return f"The template “{template.name}” has no approved version yet."
    return None


def require_standard_source(organisation_id: int, version_id: Optional[int],
                            company_id: Optional[int], new: bool = True) -> TemplateVersion:
    """The version a standard change comes from: an approved one of a template that is not
    suspended, for the change's company (or the whole organisation); a new change takes the latest
    approved version, a change made earlier keeps its own."""
    version = db.session.get(TemplateVersion, version_id) if version_id is not None else None
    if version is None or version.organisation_id != organisation_id:
        raise LifecycleError("A standard change is made from an approved template: choose one.")
    template = version.template
    refusal = usable_refusal(template)
    if refusal:
        raise LifecycleError(refusal)
    if version.approved_at is None:
        raise LifecycleError(f"Version {version.version} of “{template.name}” is not approved.")
    _require_low_risk(version)  # a version approved before this rule
    if new and latest_approved(template).id != version.id:
        raise LifecycleError(f"“{template.name}” has a newer approved version: start again from the template.")
    if template.company_id is not None and company_id is not None and template.company_id != company_id:
        raise LifecycleError(f"The template “{template.name}” is for {template.company.name} only.")
    return version


def normalised(text: Optional[str]) -> str:
    """The text as compared with its template: one kind of line ending, no surrounding whitespace."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def require_template_plans(change: Change, version: TemplateVersion) -> None:
    """A standard change does what its template version was approved to do: its plans are the
    version's (the title and description may differ)."""
    differing = [FIELD_LABELS[name] for name in PLANS
                 if normalised(getattr(change, name)) != normalised(getattr(version, name))]
    if differing:
        verb = "differs" if len(differing) == 1 else "differ"
        raise LifecycleError(
            f"This standard change's {spoken_list(differing)} {verb} from its template “{version.label}”: "
            "a standard change is approved for what its template does. Make it a normal change so it is "
            "approved, or use the template's plans.")


def template_version(version_id: int) -> Optional[TemplateVersion]:
    return db.session.get(TemplateVersion, version_id)


def suspend_after_failure(change: Change) -> bool:
    """A standard change failed: its template stops creating standard changes (True if it did)."""
    if change.change_type != "standard" or change.template_version is None:
        return False
    template = change.template_version.template
    template.suspended = True
    template.suspended_reason = f"{change.reference} failed: {change.failure_reason}"
    return True


@dataclass(frozen=True)
class Usage:
    used: int
    completed: int
    failed: int

    @property
    def success_rate(self) -> Optional[int]:
        """Percent of finished changes that completed (None before any finished)."""
        finished = self.completed + self.failed
        return round(100 * self.completed / finished) if finished else None


def usage(template_ids: list[int]) -> dict[int, Usage]:
    """Use count and outcomes per template, in one statement."""
    if not template_ids:
        return {}
    rows = db.session.execute(
        select(TemplateVersion.template_id, func.count(Change.id),
               func.sum(case((Change.state == "completed", 1), else_=0)),
               func.sum(case((Change.state == "failed", 1), else_=0)))
        .join(Change, Change.template_version_id == TemplateVersion.id)
        .where(TemplateVersion.template_id.in_(template_ids))
        .group_by(TemplateVersion.template_id)
    ).all()
    found = {row[0]: Usage(row[1], int(row[2] or 0), int(row[3] or 0)) for row in rows}
    return {tid: found.get(tid, Usage(0, 0, 0)) for tid in template_ids}


PREFILLED = ("title", "description", "implementation_plan", "rollback_plan", "test_plan")


def prefill(version: TemplateVersion, standard: bool) -> dict:
    """The change form's values from a template version: its fields, its risk answers, its
    devices as @mentions in the description; a standard change when the template is usable."""
    description = version.description
    if version.devices.strip():
        description = f"{description.rstrip()}\n\nDevices: {version.devices.strip()}".lstrip()
    return {
        "title": version.title_pattern, "company_id": version.template.company_id,
        "description": description, "implementation_plan": version.implementation_plan,
        "rollback_plan": version.rollback_plan, "test_plan": version.test_plan,
        "risk_answers": dict(version.risk_answers), "change_type": "standard" if standard else "normal",
        "template_version_id": version.id,
    }
