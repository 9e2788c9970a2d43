"""Adding mail to the outbox (in the caller's transaction) and sending what is due (scheduler).

Sending claims each row with a conditional UPDATE before talking to the server, so two
scheduler processes never send the same row; the claim expires, so a process that died
mid-send leaves the row to the next run. A server that is down, slow or answers 4xx delays the
row with a growing backoff; a 5xx refusal of the recipient fails it for good (shown at
/dev/mail and in the log). Without `SMTP_URL`, development writes each message to the log.
"""
import logging
import smtplib
from datetime import timedelta
from email.errors import MessageError
from typing import Optional

from flask import current_app
from sqlalchemy import or_, select, update

from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.mail.models import MailMessage
from cbcw.mail.transport import SmtpServer, build, one_line

log = logging.getLogger(__name__)
CLAIM_FOR = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
BATCH = 50


def enqueue(organisation_id: int, to: str, subject: str, text: str, html: str,
            calendar: Optional[str] = None, calendar_method: Optional[str] = None) -> MailMessage:
    """Add a message to the outbox; the caller's commit stores it with what caused it."""
    row = MailMessage(organisation_id=organisation_id, to_address=to, subject=one_line(subject)[:300],
                      text_body=text, html_body=html, calendar=calendar, calendar_method=calendar_method,
                      next_attempt_at=utcnow())
    db.session.add(row)
    return row


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … at most an hour between attempts."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def _claim(row_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(MailMessage)
        .where(MailMessage.id == row_id, MailMessage.status == "pending", MailMessage.next_attempt_at <= now,
               or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until <= now))
        .values(claimed_until=now + CLAIM_FOR)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _due_ids() -> list[int]:
    now = utcnow()
    return list(db.session.scalars(
        select(MailMessage.id)
        .where(MailMessage.status == "pending", MailMessage.next_attempt_at <= now,
               or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until <= now))
        .order_by(MailMessage.next_attempt_at, MailMessage.id).limit(BATCH)
    ))


def _server() -> Optional[SmtpServer]:
    url = current_app.config.get("SMTP_URL") or ""
    return SmtpServer.from_url(url, current_app.config.get("SMTP_TIMEOUT", 10.0)) if url else None


def deliver_due() -> int:
    """Send every due message once; returns how many were sent. Stops at the first connection
    failure (the server is down: the others wait for the next run, their order kept)."""
    server = _server()
    if server is None and current_app.config["ENV_NAME"] == "production":
        log.warning("mail waits in the outbox: SMTP_URL is not set")
        return 0
    sent = 0
    for row_id in _due_ids():
        if not _claim(row_id):
            continue  # another process took it
        row = db.session.get(MailMessage, row_id)
        outcome = _send(server, row)
        db.session.commit()
        if outcome == "sent":
            sent += 1
        elif outcome == "down":
            break
    return sent


def _send(server: Optional[SmtpServer], row: MailMessage) -> str:
    """Try one message; record the outcome on the row: "sent", "failed", "retry" or "down"."""
    try:
        message = build(row, current_app.config["MAIL_FROM"])
    except (ValueError, MessageError) as error:  # never retried: it would block every later run
        return _fail(row, f"message could not be built ({type(error).__name__})")
    try:
        if server is None:
            log.info("mail (no SMTP_URL, not sent) to %s: %s\n%s", row.to_address, row.subject, row.text_body)
        else:
            server.send(message)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        if all(code >= 500 for code in codes):
            return _fail(row, f"recipient refused ({', '.join(map(str, codes))})")
        return _retry(row, "recipient deferred", "retry")
    except (smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected) as error:
        code = getattr(error, "smtp_code", 0)
        return _retry(row, f"server answered {code}" if code else "server disconnected", "retry")
    except (OSError, smtplib.SMTPException) as error:
        return _retry(row, f"{type(error).__name__}: could not reach the mail server", "down")
    row.status, row.sent_at, row.claimed_until, row.attempts = "sent", utcnow(), None, row.attempts + 1
    return "sent"


def _retry(row: MailMessage, reason: str, outcome: str) -> str:
    row.attempts += 1
    row.next_attempt_at = utcnow() + backoff(row.attempts)
    row.claimed_until, row.last_error = None, reason
    log.warning("mail %s to %s not sent (attempt %s): %s", row.id, row.to_address, row.attempts, reason)
    return outcome


def _fail(row: MailMessage, reason: str) -> str:
    row.attempts += 1
    row.status, row.claimed_until, row.last_error = "failed", None, reason
    log.error("mail %s to %s failed for good: %s", row.id, row.to_address, reason)
    return "failed"
