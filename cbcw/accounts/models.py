import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

ROLES = ("admin", "msp", "engineer", "viewer")
SETTINGS_ROLES = frozenset({"admin", "msp"})
ROLE_LABELS = {"admin": "Admin", "msp": "MSP", "engineer": "Engineer", "viewer": "Viewer"}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Stored lower-cased, so the unique index is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="engineer")
    active: Mapped[bool] = mapped_column(default=True)
    vcab_member: Mapped[bool] = mapped_column(default=False)
    # Emergency change approvers (PRODUCT §2.7): one of them approves an emergency change alone.
    ecab_member: Mapped[bool] = mapped_column(default=False, server_default=false())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Part of every session and remember-me cookie (see get_id): replacing it ends them all.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Set when an admin or MSP user chose the password: the user picks their own at next login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str, temporary: bool = False) -> None:
        """A new password ends every session and remember-me cookie of the user."""
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.must_change_password = temporary
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie issued so far (logout everywhere)."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: id and session token."""
        if self.session_token is None:  # a new user not flushed yet
            self.session_token = new_session_token()
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def can_manage_settings(self) -> bool:
        return self.role in SETTINGS_ROLES

    @property
    def can_edit_changes(self) -> bool:
        return self.role != "viewer"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def __str__(self) -> str:
        return self.display_name


class LoginThrottle(db.Model):
    """Failed logins counted for one throttling key (an address, an email, or both), shared by
    every web worker through the database; see `cbcw.accounts.throttle`."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Growing delay: no attempt under this key is checked before this moment.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the row says nothing any more and may be pruned.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
