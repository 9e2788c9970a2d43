"""Two scheduler processes sending the outbox at once: every message reaches the server once."""
from collections import Counter

from aiosmtpd.controller import Controller

from cbcw.extensions import db
from cbcw.mail import outbox
from cbcw.mail.models import MailMessage
from cbcw.organisations.models import Organisation
from tests.helpers.at_once import at_once

from .conftest import Inbox

MESSAGES = 30


def test_two_senders_at_once_send_each_message_once(shared_app, unused_port):
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=unused_port)
    controller.start()
    saved = dict(shared_app.config)
    shared_app.config.update(SMTP_URL=f"smtp://127.0.0.1:{unused_port}", SMTP_TIMEOUT=5.0)
    try:
        with shared_app.app_context():
            org = Organisation(name="Mail race")
            db.session.add(org)
            db.session.flush()
            for n in range(MESSAGES):
                outbox.enqueue(org.id, f"person{n}@example.test", f"Message {n}", "text", "<p>html</p>")
            db.session.commit()
        sent = at_once(shared_app, outbox.deliver_due, 2, timeout=60)
        assert sum(sent) == MESSAGES
        received.wait_for(MESSAGES)
        assert Counter(m["Message-ID"] for m in received.messages).most_common(1)[0][1] == 1
        assert len(received.messages) == MESSAGES
        with shared_app.app_context():
            assert {row.status for row in db.session.scalars(db.select(MailMessage))} == {"sent"}
    finally:
        controller.stop()
        shared_app.config.clear()
        shared_app.config.update(saved)
