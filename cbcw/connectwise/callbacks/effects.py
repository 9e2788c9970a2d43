"""What a verified callback does (PRODUCT §3.11). The payload's `Entity` is not trusted for state:
the record is read again from ConnectWise by its id, so callbacks arriving out of order or late
still leave what ConnectWise shows now.

- A ticket linked to changes of the organisation: the stored status, summary and board refresh,
  every worker's widget cache is invalidated (`ticket_marks`), and its fate is flagged (`alerts`).
- A configuration of a mapped type and company: its device is created, updated or deactivated as
  the nightly sync would (`sync.devices.apply_page`); a deleted one deactivates its device.
Anything else is ignored. Each returns "done" or "ignored"; a ConnectWise failure raises.

Each reads ConnectWise before it writes anything: a failure leaves nothing half-written, and no
database write lock is held while ConnectWise is asked (SQLite has one for the whole file).
"""
from __future__ import annotations

from sqlalchemy import select, update

from cbcw.changes.models import Change
from cbcw.connectwise import ticket_marks
from cbcw.connectwise.api import errors
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.callbacks import alerts
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.linked import linked_to_connectwise
from cbcw.connectwise.sync.devices import SOURCE, Tally, apply_page
from cbcw.connectwise.sync.runner import load_scope
from cbcw.connectwise.tickets.panel import remember_status
from cbcw.connectwise.tickets.search import Ticket
from cbcw.db import utcnow
from cbcw.devices.models import Device
from cbcw.extensions import db


def apply(row: ReceivedCallback, client: ConnectWiseClient) -> str:
    if row.entity_type == "ticket":
        return _ticket(row, client)
    return _configuration(row, client)


def _read(read, entity_id: int) -> dict | None:
    """The record, or None when ConnectWise says it no longer exists."""
    try:
        return read(entity_id)
    except errors.NotFound as error:
        if not error.record_gone:
            raise
        return None


def _ticket(row: ReceivedCallback, client: ConnectWiseClient) -> str:
    changes = db.session.scalars(select(Change).where(
        Change.organisation_id == row.organisation_id, linked_to_connectwise(),
        Change.linked_ticket_id == row.entity_id).order_by(Change.id)).all()
    if not changes:
        return "ignored"
    record = _read(client.get_ticket, row.entity_id)
    ticket = Ticket.from_record(record) if record is not None else None
    for change in changes:
        if ticket is not None:
            remember_status(change, ticket)
        alerts.update(change, row.entity_id, record)
    ticket_marks.mark(row.organisation_id, row.entity_id, utcnow())
    return "done"


def _configuration(row: ReceivedCallback, client: ConnectWiseClient) -> str:
    scope = load_scope(row.organisation_id)
    if not scope.device_types or not scope.companies:
        return "ignored"
    configuration = _read(client.get_configuration, row.entity_id)
    now = utcnow()
    if configuration is None:
        gone = db.session.execute(update(Device).where(
            Device.organisation_id == row.organisation_id, Device.external_source == SOURCE,
            Device.external_id == str(row.entity_id), Device.active).values(active=False, updated_at=now))
        return "done" if gone.rowcount else "ignored"
    tally = Tally()
    apply_page(scope, [configuration], tally, now)
    return "ignored" if tally.counts["skipped"] else "done"
