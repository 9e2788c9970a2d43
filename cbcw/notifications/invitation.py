"""The implementer's iCalendar invitation of a change's window (RFC 5545/5546).

One UID per change for its whole life, the one the private feed gives its window too
(`changes.event_uid`); each update raises SEQUENCE, so a calendar replaces
the event (reschedule) or removes it (METHOD:CANCEL) instead of adding another.
"""
from typing import Optional

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes.event_uid import window_uid
from cbcw.changes.models import Change
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.notifications.models import CalendarInvitation


def next_invitation(change: Change) -> CalendarInvitation:
    """The change's invitation row with its SEQUENCE raised for one more message."""
    row = db.session.scalar(select(CalendarInvitation).where(CalendarInvitation.change_id == change.id))
    if row is None:
        row = CalendarInvitation(organisation_id=change.organisation_id, change_id=change.id, sequence=0)
        db.session.add(row)
    else:
        row.sequence += 1
    return row


def current_attendee_id(change: Change) -> Optional[int]:
    return db.session.scalar(select(CalendarInvitation.attendee_id).where(CalendarInvitation.change_id == change.id))


def ics(change: Change, attendee: User, sequence: int, method: str, url: str) -> str:
    """The VCALENDAR text of a REQUEST or a CANCEL for the change's window."""
    calendar = Calendar()
    calendar.add("prodid", "-//ChangeBreeze//Change windows//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", window_uid(change))
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", change.window_start)
    event.add("dtend", change.window_end)
    event.add("summary", f"{change.reference} {change.title}")
    event.add("description", f"Implementation window of {change.reference}. {url}")
    event.add("url", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{current_app.config['MAIL_FROM']}")
    organizer.params["cn"] = vText("ChangeBreeze")
    event.add("organizer", organizer)
    person = vCalAddress(f"mailto:{attendee.email}")
    person.params["cn"] = vText(attendee.display_name)
    person.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", person)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
