"""Per-organisation ConnectWise settings: connection, mappings and member matches."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw import crypto
from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

# How a user's ConnectWise member was found: by email, picked by hand, or not found.
MATCH_METHODS = ("auto", "manual", "none")
# (attribute, label shown in settings) for the five lifecycle events that may set a ticket status.
STATUS_EVENTS = (
    ("status_change_created", "Change Created"),
    ("status_fully_approved", "Fully Approved"),
    ("status_change_scheduled", "Change Scheduled"),
    ("status_change_completed", "Change Completed"),
    ("status_change_cancelled", "Change Cancelled"),
)


class ConnectWiseSettings(db.Model):
    __tablename__ = "cw_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    base_url: Mapped[str] = mapped_column(String(300), default="")
    cw_company_id: Mapped[str] = mapped_column(String(100), default="")
    public_key_encrypted: Mapped[Optional[str]] = mapped_column(String(500))
    private_key_encrypted: Mapped[Optional[str]] = mapped_column(String(500))
    auto_update_status: Mapped[bool] = mapped_column(default=False)
    status_change_created: Mapped[str] = mapped_column(String(50), default="")
    status_fully_approved: Mapped[str] = mapped_column(String(50), default="")
    status_change_scheduled: Mapped[str] = mapped_column(String(50), default="")
    status_change_completed: Mapped[str] = mapped_column(String(50), default="")
    status_change_cancelled: Mapped[str] = mapped_column(String(50), default="")
    # Result of the last check of the status names against the boards: [{status, board}]
    status_warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The ticket's discussion is customer-facing (PRODUCT §3.6, §3.7): by default the plan block holds
    # the window and implementation plan only, and time entry notes go to the internal analysis.
    plan_includes_test_and_rollback: Mapped[bool] = mapped_column(default=False)
    time_notes_to_discussion: Mapped[bool] = mapped_column(default=False)
    last_test_ok: Mapped[Optional[bool]]
    last_test_message: Mapped[Optional[str]] = mapped_column(String(500))
    last_test_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # What the last test found the API member's role allows: [{words, granted, setting}]
    last_test_capabilities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    public_key = crypto.EncryptedText("public_key_encrypted")
    private_key = crypto.EncryptedText("private_key_encrypted")

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_encrypted)

    @property
    def is_complete(self) -> bool:
        """Enough to talk to ConnectWise."""
        return bool(self.base_url and self.cw_company_id and self.public_key_encrypted and self.private_key_encrypted)


class CompanyMapping(db.Model):
    """A ChangeBreeze company ↔ a ConnectWise company, and the boards its tickets may come from."""

    __tablename__ = "cw_company_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), unique=True)
    cw_company_id: Mapped[int]
    cw_company_identifier: Mapped[str] = mapped_column(String(100))
    cw_company_name: Mapped[str] = mapped_column(String(200))
    # Empty = all boards. Names are kept for display when ConnectWise is unreachable.
    board_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    board_names: Mapped[list[str]] = mapped_column(JSON, default=list)

    company = relationship("Company")


class ConfigurationTypeMapping(db.Model):
    """A ConnectWise configuration type and the device type it imports as (None: not imported)."""

    __tablename__ = "cw_type_mappings"
    __table_args__ = (UniqueConstraint("organisation_id", "cw_type_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cw_type_id: Mapped[int]
    cw_type_name: Mapped[str] = mapped_column(String(100))
    device_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("device_types.id"), index=True)

    device_type = relationship("DeviceType")


class MemberMatch(db.Model):
    """Which ConnectWise member a user is (PRODUCT §3.10); method is auto, manual or none."""

    __tablename__ = "cw_member_matches"
    # One member, one user per organisation (PRODUCT §3.6, §3.10): nobody logs time as another.
    __table_args__ = (one_of("method", MATCH_METHODS),
                      Index("uq_cw_member_matches_member", "organisation_id", "cw_member_id", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    cw_member_id: Mapped[Optional[int]]
    cw_member_identifier: Mapped[Optional[str]] = mapped_column(String(50))
    cw_member_name: Mapped[Optional[str]] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(8), default="none")
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User")


class CallbackEndpoint(db.Model):
    """An organisation's callback address `APP_BASE_URL/connectwise/callbacks/<key>`.

    The key is looked up by its SHA-256 (`key_hash`), so a database read does not hand out the
    address; the key itself is kept encrypted, for registering it again (e.g. on a new host)."""

    __tablename__ = "cw_callback_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_encrypted: Mapped[str] = mapped_column(String(500))
    last_received_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_received_what: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    key = crypto.EncryptedText("key_encrypted")
