"""Each user's channel per kind of notification (PRODUCT §2.9), shown and saved on /profile."""
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.extensions import db
from cbcw.notifications.kinds import CHANNELS, DEFAULT_CHANNEL, KINDS
from cbcw.notifications.models import NotificationPreference


def chosen(user: User) -> dict[str, str]:
    """{kind: channel} for every kind, defaults filled in."""
    rows = db.session.execute(select(NotificationPreference.kind, NotificationPreference.channel)
                              .where(NotificationPreference.user_id == user.id))
    return {**{kind: DEFAULT_CHANNEL for kind in KINDS}, **dict(rows.all())}


def save(user: User, choices: dict[str, str]) -> None:
    """Store the choices that are valid; unknown kinds or channels are ignored. Caller commits."""
    existing = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind, channel in choices.items():
        if kind not in KINDS or channel not in CHANNELS:
            continue
        row = existing.get(kind)
        if row is None:
            db.session.add(NotificationPreference(organisation_id=user.organisation_id, user_id=user.id,
                                                  kind=kind, channel=channel))
        else:
            row.channel = channel
