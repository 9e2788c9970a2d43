"""A user's new address takes effect once its owner confirms it, through a one-time link sent
to it (the way invitations work: SHA-256 of the token at rest, seven days, once).

So the answer to an admin who changes an address is the same whether or not the address
belongs to another organisation: a request is recorded and listed as awaiting confirmation in
both cases, and only a free address is sent its link (`organisations.service.save_user`). An
address of another organisation never confirms: its link is never sent, and a link whose
address was taken meanwhile no longer works. The user confirms signed in with their current
address, so a mistyped address locks nobody out and gives its reader no account.
"""
import secrets
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.accounts.invitations import VALID_FOR, token_digest
from cbcw.accounts.models import User
from cbcw.db import UTCDateTime, utcnow
from cbcw.extensions import db


class EmailChange(db.Model):
    """A new address for a user, awaiting confirmation from whoever reads it."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])


def request(user: User, email: str, requested_by_id: int) -> str:
    """Record `email` as `user`'s address once confirmed and return the link's token (an earlier
    request stops working); the caller sends it, or not, and commits."""
    for earlier in _open(EmailChange.user_id == user.id):
        earlier.expires_at = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(EmailChange(organisation_id=user.organisation_id, user_id=user.id, requested_by_id=requested_by_id,
                               email=email, token_hash=token_digest(token), expires_at=utcnow() + VALID_FOR))
    return token


def awaiting(user: User) -> Optional[EmailChange]:
    """The user's address change awaiting confirmation, if any (for the user form)."""
    return next(iter(_open(EmailChange.user_id == user.id)), None)


def open_change(token: str) -> Optional[EmailChange]:
    """The unused, unexpired request of this token for an active user, or None (all look alike)."""
    if not token or len(token) > 100:
        return None
    change = next(iter(_open(EmailChange.token_hash == token_digest(token))), None)
    if change is None or not change.user.active:
        return None
    return change


def confirm(change: EmailChange) -> bool:
    """Give the user the confirmed address; False (nothing written) when someone else has it now.
    The caller commits."""
    if db.session.scalar(select(User.id).where(User.email == change.email)) is not None:
        return False
    try:
        with db.session.begin_nested():
            change.user.email = change.email
            change.used_at = utcnow()
    except IntegrityError:  # taken a moment ago
        return False
    return True


def _open(*where) -> list[EmailChange]:
    return list(db.session.scalars(
        select(EmailChange).where(*where, EmailChange.used_at.is_(None), EmailChange.expires_at > utcnow())
        .order_by(EmailChange.id.desc())))
