"""A real SMTP server (aiosmtpd) on a free loopback port, and the app pointed at it."""
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.changes.conftest import (  # noqa: F401  (the lifecycle fixtures, shared)
    approved_change, change_fields, new_change, pending_change, people, scheduled_change,
)


class Inbox:
    """What the SMTP server received, as parsed messages; `wait_for(n)` blocks on the event."""

    def __init__(self):
        self.messages = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 OK"

    def to(self, address):
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count, timeout=5):
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.messages) >= count, timeout), self.messages
        return self.messages


@pytest.fixture
def smtp_server(app, unused_port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unused_port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{unused_port}"
    app.config["SMTP_TIMEOUT"] = 2.0
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_down(app, unused_port):
    """SMTP_URL names a loopback port nothing listens on."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{unused_port}"
    app.config["SMTP_TIMEOUT"] = 1.0
    return unused_port


def calendar_of(message):
    """The text/calendar part of a message, parsed by the icalendar library."""
    from icalendar import Calendar

    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part, Calendar.from_ical(part.get_content())
