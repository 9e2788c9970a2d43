"""The integration's reactions to change events: plan the writes and store them in the event's
own transaction (the outbox). Nothing here talks to ConnectWise: the scheduler's delivery worker,
woken by the commit (`wakeup.py`), sends them, so the user's request never waits on ConnectWise.

The change domain only sends signals; this module subscribes (the arrow points one way).
"""
from cbcw.accounts.models import User
from cbcw.changes import signals
from cbcw.changes.models import Change
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.wakeup import announce
from cbcw.connectwise.automation.planning import Planned, plan
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.extensions import db


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
    own ticket); listening workers are told once the transaction commits."""
    rows = [OutboxWrite(organisation_id=change.organisation_id, change_id=change.id,
                        ticket_id=write.ticket_id or ticket_id, event=event, kind=write.kind,
                        payload=write.payload, reference=write.reference)
            for write in planned]
    db.session.add_all(rows)
    if rows:
        announce()
    return rows


def _receiver(event_signal):
    def receive(change, **kwargs):
        kwargs.pop("change_id", None)
        record_writes(event_signal, change, **kwargs)
    return receive


_RECEIVERS = [(signal, _receiver(signal)) for signal in signals.ALL_EVENTS]


def init_app(app) -> None:
    """Subscribe to the change events."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False)
