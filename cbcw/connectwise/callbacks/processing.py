"""The background half of callbacks: the `cw-callbacks` job acts on each recorded callback, one
transaction each, oldest first (on PostgreSQL several schedulers share the work: a row is claimed
with FOR UPDATE SKIP LOCKED). On SQLite the job polls every second. A ConnectWise failure retries
with backoff, then gives up (the nightly sync and drift check are the safety net). Each read is
interactive (a short budget), so one slow ticket does not hold the queue for minutes. No write
lock is held while ConnectWise is asked (see `_process`)."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.callbacks import effects
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 100


def process_due(limit: int = BATCH) -> int:
    """Act on up to `limit` due callbacks; returns how many were handled."""
    handled = 0
    while handled < limit:
        row = _claim()
        if row is None:
            break
        _process(row)
        db.session.commit()
        handled += 1
    return handled


def _claim() -> ReceivedCallback | None:
    query = (select(ReceivedCallback).where(ReceivedCallback.state == "pending",
                                            ReceivedCallback.next_attempt_at <= utcnow())
             .order_by(ReceivedCallback.id).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def _process(row: ReceivedCallback) -> None:
    """Act on one claimed callback. Nothing is written before ConnectWise answers (`effects` reads
    ConnectWise first, then writes), so on SQLite no write lock is held while the request is out
    and users' own writes never wait for ConnectWise; on PostgreSQL only the claimed row is locked."""
    settings = active_settings(row.organisation_id)
    if settings is None:
        row.attempts += 1
        row.state, row.processed_at = "ignored", utcnow()
        return
    try:
        outcome = effects.apply(row, client_for(settings, interactive=True))
    except (ConnectWiseError, SecretUnreadable) as error:
        row.attempts += 1
        row.last_error = str(error)[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            log.warning("callback %s (%s #%s) given up: %s", row.id, row.entity_type, row.entity_id, error)
        else:
            row.next_attempt_at = utcnow() + timedelta(seconds=2 ** row.attempts)
        return
    row.attempts += 1
    row.state, row.processed_at, row.last_error = outcome, utcnow(), None
