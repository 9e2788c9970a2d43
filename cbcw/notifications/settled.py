"""Items that ask for nothing any more leave the bell (PRODUCT §2.9: it counts what awaits you).

"CHG-000012 awaits your approval" is done once the change no longer awaits its reader's decision:
they or their delegate decided, the round was completed or rejected, the change was cancelled;
"… needs its post-implementation review" once the review is recorded.
The rule is that of the "Awaiting my approval" list (`queries.awaiting_decision_by`), so an item
leaves the bell when its change leaves that list. A daily digest is done once nothing awaits its
reader at all, or the next day's digest replaces it. A settled item is marked read and done, and
stays in the inbox as history.
"""
from datetime import datetime

from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes import queries
from cbcw.changes.models import Change
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.notifications.models import Notification


def settle(change: Change, **_) -> None:
    """After a decision, a rejection or a cancellation: settle the change's approval items whose
    reader has nothing left to decide on it, then the digests of readers left with nothing."""
    now = utcnow()
    for item in _open(Notification.change_id == change.id, Notification.kind == "awaiting_approval"):
        if change.state != "pending_approval" or not _awaits(db.session.get(User, item.user_id), change):
            _resolve(item, now)
    digests = _open(Notification.organisation_id == change.organisation_id, Notification.kind == "digest")
    idle = {user_id for user_id in {item.user_id for item in digests}
            if not queries.awaiting_approval_count(db.session.get(User, user_id))}
    for item in digests:
        if item.user_id in idle:
            _resolve(item, now)


def supersede_digests(user: User) -> None:
    """Before a new digest: the reader's earlier ones say nothing it does not (one digest counts)."""
    _resolve_all(Notification.user_id == user.id, Notification.kind == "digest")


def settle_review(change: Change, **_) -> None:
    """The review is recorded: the change's "review due" items ask for nothing any more."""
    _resolve_all(Notification.change_id == change.id, Notification.kind == "review_due")


def _resolve_all(*where) -> None:
    now = utcnow()
    for item in _open(*where):
        _resolve(item, now)


def _open(*where) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(*where, Notification.resolved_at.is_(None))))


def _awaits(user: User, change: Change) -> bool:
    return db.session.scalar(select(Change.id).where(Change.id == change.id,
                                                     queries.awaiting_decision_by(user))) is not None


def _resolve(item: Notification, now: datetime) -> None:
    item.resolved_at = now
    item.read_at = item.read_at or now
