"""Building a message and handing it to the SMTP server named by `SMTP_URL`.

`smtp://host:25` (plain), `smtp://host:587?starttls=true` (STARTTLS), `smtps://host:465`
(implicit TLS); user and password may be given as `smtp://user:password@host`. The URL holds a
secret: it is never logged or shown.
"""
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Optional
from urllib.parse import parse_qs, unquote, urlsplit

from cbcw.mail.models import MailMessage

TRUE_WORDS = {"1", "true", "yes", "on"}


LINE_BREAKING = ("Cc", "Zl", "Zp")  # control characters, line and paragraph separators


def one_line(text: str) -> str:
    """`text` fit for a mail header: every run of whitespace or control characters (line breaks
    of any kind included) becomes one space, so a title or name can never break a header."""
    return " ".join("".join(" " if unicodedata.category(c) in LINE_BREAKING else c for c in text).split())


class BadSmtpUrl(ValueError):
    """SMTP_URL cannot be used; the message never includes the URL (it may hold a password)."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: Optional[str]
    password: Optional[str]
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float = 10.0) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise BadSmtpUrl("SMTP_URL must look like smtp://host:port or smtps://host:port.")
        try:
            port = parts.port
        except ValueError:
            raise BadSmtpUrl("SMTP_URL has an invalid port.") from None
        implicit = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        starttls = not implicit and query.get("starttls", [""])[0].lower() in TRUE_WORDS
        return cls(
            host=parts.hostname, port=port or (465 if implicit else 25), implicit_tls=implicit,
            starttls=starttls, username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None, timeout=timeout,
        )

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raises smtplib/OS errors for the caller to classify."""
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def build(row: MailMessage, sender: str) -> EmailMessage:
    """The MIME message of an outbox row: plain text, HTML, and the invitation when there is one."""
    message = EmailMessage()
    message["From"] = sender if "<" in sender else formataddr(("ChangeBreeze", sender))
    message["To"] = row.to_address
    message["Subject"] = one_line(row.subject)
    message["Date"] = formatdate(row.created_at.timestamp(), usegmt=True)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    if row.calendar:
        # Inside the alternative part, as calendar clients expect an invitation to be.
        message.add_alternative(row.calendar, subtype="calendar", params={"method": row.calendar_method})
    return message
