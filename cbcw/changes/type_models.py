"""The rows behind change types (PRODUCT §2.7) and the risk assessment and approval policy (§2.8):
templates and their versions, post-implementation reviews, the organisation's risk questions and
its approval policy. Defaults live in code (`risk.py`, `requirements.py`): an organisation has rows
here only once an admin edits them."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.changes.models import RISKS
from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db


class ChangeTemplate(db.Model):
    """A named, repeatable change for the whole organisation or one company; its fields live in
    versions, so a change keeps the version it was made from."""

    __tablename__ = "change_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # A standard change from it failed: no new standard changes until an admin reviews it.
    suspended: Mapped[bool] = mapped_column(default=False, server_default=false())
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")
    versions = relationship("TemplateVersion", back_populates="template", order_by="TemplateVersion.version")


class TemplateVersion(db.Model):
    """One version of a template's fields; approved by an admin other than its author before use."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"), one_of("risk", RISKS))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("change_templates.id"), index=True)
    version: Mapped[int]
    title_pattern: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    implementation_plan: Mapped[str] = mapped_column(Text, default="")
    rollback_plan: Mapped[str] = mapped_column(Text, default="")
    test_plan: Mapped[str] = mapped_column(Text, default="")
    risk_answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    risk: Mapped[str] = mapped_column(String(8), default="low")
    default_duration_minutes: Mapped[int] = mapped_column(default=60)
    devices: Mapped[str] = mapped_column(String(1000), default="")  # "@hostname @hostname"
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template = relationship("ChangeTemplate", back_populates="versions")
    author = relationship("User", foreign_keys=[author_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])

    @property
    def label(self) -> str:
        return f"{self.template.name} v{self.version}"


class ChangeReview(db.Model):
    """The post-implementation review of an emergency change (one per change)."""

    __tablename__ = "change_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    what_was_done: Mapped[str] = mapped_column(Text)
    why_urgent: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    follow_ups: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")


class RiskQuestion(db.Model):
    """One question of the organisation's risk questionnaire; `answers` is a list of
    {"value", "label", "weight"}."""

    __tablename__ = "risk_questions"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ChangePolicy(db.Model):
    """The organisation's risk thresholds and approval policy (normal changes: risk → kinds)."""

    __tablename__ = "change_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    medium_threshold: Mapped[int]
    high_threshold: Mapped[int]
    approvals: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
