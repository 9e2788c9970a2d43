"""Giving one person one notification by the channel they chose: the inbox row and the e-mail
(through the mail outbox), both added to the caller's transaction."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import render_template
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.extensions import db
from cbcw.mail import outbox
from cbcw.main.links import absolute
from cbcw.notifications.kinds import DEFAULT_CHANNEL
from cbcw.notifications.models import Notification, NotificationPreference


@dataclass
class Message:
    """What to say: a title (subject and inbox line), paragraphs, links as (label, path)."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    calendar: Optional[str] = None
    calendar_method: Optional[str] = None


def channel(user: User, kind: str) -> str:
    chosen = db.session.scalar(select(NotificationPreference.channel).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind))
    return chosen or DEFAULT_CHANNEL


def change_path(change: Change) -> str:
    return f"/changes/{change.id}"


def local(user: User, moment: Optional[datetime]) -> str:
    """A time in the recipient's timezone, with the zone named."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def notify(user: Optional[User], kind: str, message: Message, change: Optional[Change] = None,
           calendar_always: bool = False) -> None:
    """Notify `user` of `kind` unless they turned it off (or are inactive); the caller commits.

    `calendar_always`: an invitation update reaches an implementer who chose in-app only, so
    their calendar never keeps a cancelled window (off still means nothing is sent)."""
    if user is None or not user.active:
        return
    chosen = channel(user, kind)
    if chosen == "off":
        return
    db.session.add(Notification(organisation_id=user.organisation_id, user_id=user.id,
                                change_id=change.id if change else None, kind=kind, title=message.title[:300]))
    if chosen == "email" or (calendar_always and message.calendar):
        links = [(label, absolute(path)) for label, path in message.links]
        if change is not None:
            links.insert(0, (f"Open {change.reference}", absolute(change_path(change))))
        context = {"message": message, "links": links, "user": user,
                   "preferences_url": absolute("/profile#notifications")}
        outbox.enqueue(user.organisation_id, user.email, message.title,
                       render_template("mail/notification.txt", **context),
                       render_template("mail/notification.html", **context),
                       calendar=message.calendar, calendar_method=message.calendar_method)
