"""Reading the in-app inbox: the bell's count and the list, always the current user's own."""
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from cbcw.accounts.models import User
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.notifications.models import Notification

SHOWN = 100


def unread_count(user: User) -> int:
    """One COUNT on the (user_id, read_at) index, for the navigation's bell."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def latest(user: User) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .options(joinedload(Notification.change))
        .order_by(Notification.id.desc()).limit(SHOWN)))


def mark(user: User, notification_id: int, read: bool) -> bool:
    """Mark one of the user's items read or unread; False when it is not theirs (a 404). A done
    item (`settled`) stays read: nothing awaits its reader any more."""
    item = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.user_id == user.id))
    if item is None:
        return False
    if read:
        item.read_at = item.read_at or utcnow()
    elif item.resolved_at is None:
        item.read_at = None
    return True


def mark_all_read(user: User) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
