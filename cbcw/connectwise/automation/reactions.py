"""The integration's reactions to change events: plan the writes and store them in the event's
own transaction (the outbox); once that commits, try to deliver them within a short budget.

The change domain only sends signals; this module subscribes (the arrow points one way).
"""
import logging

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from cbcw.accounts.models import User
from cbcw.changes import signals
from cbcw.changes.models import Change
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.planning import Planned, plan
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.extensions import db

log = logging.getLogger(__name__)
_TOUCHED = "cw_outbox_tickets"  # session.info key: (organisation, ticket) pairs written this transaction


def record_writes(event_signal, change: Change, actor_id=None, **details) -> list[OutboxWrite]:
    """Add the event's planned writes to the session (no commit, no network)."""
    ticket_id = linked_ticket_id(change)
    if ticket_id is None:
        return []
    settings = active_settings(change.organisation_id)
    if settings is None:
        return []
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    return store_planned(change, ticket_id, event_signal.name, plan(event_signal, change, actor, settings, **details))


def store_planned(change: Change, ticket_id: int, event: str, planned: list[Planned]) -> list[OutboxWrite]:
    """Add planned writes to the session as outbox rows (to `ticket_id` unless a write names its
    own ticket), delivered right after the commit."""
    rows = [OutboxWrite(organisation_id=change.organisation_id, change_id=change.id,
                        ticket_id=write.ticket_id or ticket_id, event=event, kind=write.kind,
                        payload=write.payload, reference=write.reference)
            for write in planned]
    db.session.add_all(rows)
    for row in rows:
        mark_touched(change.organisation_id, row.ticket_id)
    return rows


def mark_touched(organisation_id: int, ticket_id: int) -> None:
    """This transaction gives the ticket writes to send: deliver them right after the commit."""
    db.session.info.setdefault(_TOUCHED, set()).add((organisation_id, ticket_id))


def _receiver(event_signal):
    def receive(change, **kwargs):
        kwargs.pop("change_id", None)
        record_writes(event_signal, change, **kwargs)
    return receive


_RECEIVERS = [(signal, _receiver(signal)) for signal in signals.ALL_EVENTS]


@event.listens_for(Session, "after_commit")
def _committed(session):
    """Hand the tickets just written to the request, which delivers them before it answers."""
    touched = session.info.pop(_TOUCHED, None)
    if touched and has_app_context():
        g.setdefault(_TOUCHED, set()).update(touched)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    session.info.pop(_TOUCHED, None)


def committed_tickets() -> set:
    """(organisation, ticket) pairs whose writes were committed in this app context (and forget them)."""
    return g.pop(_TOUCHED, set()) if has_app_context() else set()


def _deliver_after_request(response):
    """Right after the commit, try the new writes within CW_DELIVERY_BUDGET seconds; the rest
    goes to `flask deliver`. ConnectWise can never fail the user's action."""
    tickets = committed_tickets()
    if tickets and has_request_context():
        try:
            deliver(tickets=tickets, budget=current_app.config["CW_DELIVERY_BUDGET"])
        except Exception:  # noqa: BLE001 — delivery problems are recorded on the rows, never the user's
            log.exception("synchronous ConnectWise delivery failed; the scheduler will retry")
            db.session.rollback()
    return response


def init_app(app) -> None:
    """Subscribe to the change events and deliver after each request that committed writes."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False)
    app.after_request(_deliver_after_request)
