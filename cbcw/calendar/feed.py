"""A user's private iCalendar feed (PRODUCT §2.5, RFC 5545 written by the `icalendar` library):
the implementation windows of the changes they implement or approve, in UTC, for Outlook or
Google to subscribe to.

The token is 256 random bits; only its SHA-256 is stored, so the URL is shown once, when made,
and a database reader cannot rebuild it. Making a new one replaces (revokes) the old; revoking
deletes it. A lookup by the hash leaks nothing useful about the token through timing.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import or_, select

from cbcw.accounts.models import User
from cbcw.calendar.models import CalendarFeed
from cbcw.changes.event_uid import window_uid
from cbcw.changes.models import Change
from cbcw.db import utcnow
from cbcw.extensions import db

# What the feed holds: windows ending from 60 days ago, at most this many (the soonest first).
PAST = timedelta(days=60)
MAX_EVENTS = 500
TOKEN_MAX = 100  # a longer path segment is no token of ours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def new_token(user: User) -> str:
    """A fresh token for the user's feed, replacing any earlier one; the caller commits."""
    token = secrets.token_urlsafe(32)
    feed = feed_of(user) or CalendarFeed(organisation_id=user.organisation_id, user_id=user.id)
    feed.token_hash = _digest(token)
    feed.created_at = utcnow()
    db.session.add(feed)
    return token


def revoke(user: User) -> None:
    feed = feed_of(user)
    if feed is not None:
        db.session.delete(feed)


def user_for_token(token: str) -> User | None:
    """The active user whose feed this token opens, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token)))
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    return user if user is not None and user.active and user.organisation_id == feed.organisation_id else None


def ics(user: User, now: datetime, link) -> bytes:
    """The feed's text: one VEVENT per window, DTSTART/DTEND in UTC; `link(change)` gives its URL."""
    mine = or_(Change.implementer_id == user.id, Change.technical_approver_id == user.id,
               Change.operational_approver_id == user.id)
    changes = db.session.scalars(
        select(Change).where(Change.organisation_id == user.organisation_id, mine,
                             Change.window_start.is_not(None), Change.window_end.is_not(None),
                             Change.state != "cancelled", Change.window_end > now - PAST)
        .order_by(Change.window_start, Change.id).limit(MAX_EVENTS))
    calendar = Calendar()
    calendar.add("prodid", "-//ChangeBreeze//Implementation windows//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"ChangeBreeze: {user.display_name}")
    for change in changes:
        role = "Implementer" if change.implementer_id == user.id else "Approver"
        event = Event()
        event.add("uid", window_uid(change))
        event.add("dtstamp", now)
        event.add("dtstart", change.window_start)
        event.add("dtend", change.window_end)
        event.add("summary", f"{change.reference} {change.title} ({change.state_label})")
        event.add("description", f"{role} of {change.reference}. {link(change)}")
        event.add("url", link(change))
        calendar.add_component(event)
    return calendar.to_ical()
