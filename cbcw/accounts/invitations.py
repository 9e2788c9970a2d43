"""Invitations instead of admin-typed passwords (PRODUCT §2.9).

An admin invites an address; the person chooses their password through a one-time link that
expires. Only the SHA-256 of the link's token is stored, so a copy of the database opens no
account. The user row exists from the invitation (inactive login: no usable password) so the
admin sees who is invited.

An address that belongs to another organisation gets no user and no mail: the invitation row
alone (`user_id` empty) keeps what was typed, so the users list shows that person "Invited" like
any other and tells nothing about other organisations. Its link is never sent and never opens.
"""
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import ForeignKey, String, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.accounts.models import ROLE_LABELS
from cbcw.db import UTCDateTime, utcnow
from cbcw.extensions import db

VALID_FOR = timedelta(days=7)


def token_digest(token: str) -> str:
    """What is stored of a one-time link's token (an invitation's, an address confirmation's)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Only without a user (an address of another organisation): what the users list shows.
    email: Mapped[Optional[str]] = mapped_column(String(254))
    display_name: Mapped[Optional[str]] = mapped_column(String(120))
    role: Mapped[Optional[str]] = mapped_column(String(16))
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    vcab_member: Mapped[bool] = mapped_column(default=False, server_default=false())
    ecab_member: Mapped[bool] = mapped_column(default=False, server_default=false())

    user = relationship("User", foreign_keys=[user_id])

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role or "", "")


def issue(user, invited_by_id: Optional[int]) -> str:
    """A new one-time token for `user` (earlier unused ones stop working); the caller commits."""
    for old in db.session.scalars(select(Invitation).where(Invitation.user_id == user.id,
                                                           Invitation.used_at.is_(None))):
        old.expires_at = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(Invitation(organisation_id=user.organisation_id, user_id=user.id, invited_by_id=invited_by_id,
                              token_hash=token_digest(token), expires_at=utcnow() + VALID_FOR))
    return token


def open_invitation(token: str) -> Optional[Invitation]:
    """The unused, unexpired invitation of this token, or None (unknown, used and expired look alike)."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
        return None
    if invitation.user is None or not invitation.user.active:
        return None
    return invitation


def accept(invitation: Invitation, password: str) -> None:
    """Set the invited user's password and spend the token; the caller commits."""
    invitation.used_at = utcnow()
    invitation.user.set_password(password)


def record_without_user(organisation_id: int, invited_by_id: int, data: dict, email: str) -> None:
    """An invitation of an address another organisation uses: listed as invited, never sent."""
    db.session.add(Invitation(organisation_id=organisation_id, invited_by_id=invited_by_id,
                              token_hash=token_digest(secrets.token_urlsafe(32)), expires_at=utcnow() + VALID_FOR,
                              email=email, display_name=data["display_name"].strip(), role=data["role"],
                              timezone=data["timezone"], vcab_member=bool(data.get("vcab_member")),
                              ecab_member=bool(data.get("ecab_member"))))


def without_user(organisation_id: int, email: Optional[str] = None) -> list[Invitation]:
    """The organisation's invitations that have no user (of one address, or all)."""
    query = select(Invitation).where(Invitation.organisation_id == organisation_id, Invitation.user_id.is_(None))
    if email is not None:
        query = query.where(Invitation.email == email)
    return list(db.session.scalars(query))


def pending_user_ids(organisation_id: int) -> set[int]:
    """Users of the organisation who have not yet accepted an invitation (for the users list)."""
    accepted = select(Invitation.user_id).where(Invitation.used_at.is_not(None),
                                                Invitation.organisation_id == organisation_id)
    return set(db.session.scalars(
        select(Invitation.user_id).where(Invitation.organisation_id == organisation_id,
                                         Invitation.user_id.not_in(accepted))
    ))
