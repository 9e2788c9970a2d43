"""The scheduler's jobs for mail and reminders (PRODUCT §2.9), handed to `cbcw.scheduler`.

Each runs under its scheduler lease (one run per period across processes); a reminder or digest
is also keyed in `SentReminder`, whose primary key refuses a second insert, so even two runs
that overlap (a lease that expired mid-run) never remind twice.
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from cbcw.accounts.models import User
from cbcw.changes.approvals import approval_status
from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.mail.outbox import deliver_due
from cbcw.notifications import settled
from cbcw.notifications.dispatch import Message, local, notify
from cbcw.notifications.models import SentReminder
from cbcw.scheduler.jobs import ScheduledJob

SEND_MAIL_JOB_ID = "send-mail"
WINDOW_REMINDER_JOB_ID = "window-reminders"
DIGEST_JOB_ID = "approval-digest"
REMIND_BEFORE = timedelta(hours=1)
DIGEST_AFTER = timedelta(days=1)


def first_time(key: str) -> bool:
    """Claim `key`; False when another run already did (the insert is refused)."""
    try:
        with db.session.begin_nested():
            db.session.add(SentReminder(key=key))
    except IntegrityError:
        return False
    return True


def remind_windows() -> int:
    """Tell each implementer, once, that their window starts within the hour."""
    now = utcnow()
    changes = db.session.scalars(
        select(Change).where(Change.state == "scheduled", Change.window_start > now,
                             Change.window_start <= now + REMIND_BEFORE)
        .options(joinedload(Change.implementer)).order_by(Change.window_start, Change.id)
    ).all()
    reminded = 0
    for change in changes:
        if change.implementer is None or not first_time(f"window:{change.id}:{change.window_start.isoformat()}"):
            continue
        implementer = change.implementer
        notify(implementer, "window_soon", Message(
            f"{change.reference} starts at {local(implementer, change.window_start)}",
            [change.title, "Start the implementation from the change page when you begin."]), change)
        reminded += 1
        db.session.commit()
    db.session.commit()
    return reminded


def waiting_changes(since) -> list[Change]:
    """Changes pending approval since before `since` (their last submit), with their approvals."""
    submitted = (select(TimelineEntry.change_id, func.max(TimelineEntry.created_at).label("at"))
                 .where(TimelineEntry.kind == "submitted").group_by(TimelineEntry.change_id).subquery())
    return list(db.session.scalars(
        select(Change).join(submitted, submitted.c.change_id == Change.id)
        .where(Change.state == "pending_approval", submitted.c.at < since)
        .options(selectinload(Change.approvals).joinedload(Approval.approver),
                 joinedload(Change.technical_approver), joinedload(Change.operational_approver))
        .order_by(Change.organisation_id, Change.number)
    ))


def send_digests() -> int:
    """One message per person awaited on approvals older than a day, once per UTC day."""
    now = utcnow()
    per_user: dict[int, list[Change]] = defaultdict(list)
    for change in waiting_changes(now - DIGEST_AFTER):
        for _, user in approval_status(change).waiting_on:
            per_user[user.id].append(change)
    sent = 0
    for user_id, changes in per_user.items():
        user = db.session.get(User, user_id)
        if not first_time(f"digest:{user_id}:{now.date().isoformat()}"):
            continue
        settled.supersede_digests(user)
        notify(user, "digest", Message(
            f"{len(changes)} change{'s' if len(changes) != 1 else ''} waiting more than a day for your approval",
            [f"{change.reference} {change.title}" for change in changes],
            [(f"Open {change.reference}", f"/changes/{change.id}") for change in changes]
            + [("All changes awaiting your approval", "/changes?mine=approval")]))
        sent += 1
        db.session.commit()
    db.session.commit()
    return sent


def jobs(config) -> list[ScheduledJob]:
    return [
        ScheduledJob(SEND_MAIL_JOB_ID, deliver_due, "interval", {"seconds": 15}, lease=timedelta(seconds=10)),
        ScheduledJob(WINDOW_REMINDER_JOB_ID, remind_windows, "interval", {"minutes": 5},
                     lease=timedelta(minutes=4)),
        ScheduledJob(DIGEST_JOB_ID, send_digests, "cron", {"hour": 7, "minute": 0}, lease=timedelta(hours=1)),
    ]
