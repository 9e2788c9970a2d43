"""Lifecycle events of a change (PRODUCT §3.7), as blinker signals.

Each is sent with the Change as sender, *before* the transaction commits, so a subscriber
(the ConnectWise outbox) records its work in the same transaction. Subscribers must only add
rows to the session: never commit, never call out over the network.

Keyword arguments always include `change_id` and `actor_id`; the extras are listed per signal.
"""
from blinker import Namespace

_events = Namespace()

change_created = _events.signal("change-created")
# + ticket_id, ticket_system, previous_ticket_id, previous_ticket_system (the systems' keys:
# an integration acts only on its own tickets)
ticket_linked = _events.signal("ticket-linked")
approval_recorded = _events.signal("approval-recorded")  # + approval_id, kind, comment
change_rejected = _events.signal("change-rejected")  # + approval_id, kind, comment
change_fully_approved = _events.signal("change-fully-approved")
change_scheduled = _events.signal("change-scheduled")  # + window_start, window_end, implementer_id, rescheduled
implementation_started = _events.signal("implementation-started")  # + started_at, implementer_id
change_completed = _events.signal("change-completed")  # + completion_notes, test_results
change_failed = _events.signal("change-failed")  # + failure_reason, rollback_notes
change_cancelled = _events.signal("change-cancelled")  # + reason, previous_state
# An emergency change's post-implementation review (PRODUCT §2.7).
review_recorded = _events.signal("review-recorded")  # + what_was_done, why_urgent, outcome, follow_ups
# Draft → pending approval (approvers now have something to decide). Not in ALL_EVENTS, the
# lifecycle events an integration reflects on its ticket (PRODUCT §3.7 has no write for it).
change_submitted = _events.signal("change-submitted")

ALL_EVENTS = (
    change_created,
    ticket_linked,
    approval_recorded,
    change_rejected,
    change_fully_approved,
    change_scheduled,
    implementation_started,
    change_completed,
    change_failed,
    change_cancelled,
    review_recorded,
)
