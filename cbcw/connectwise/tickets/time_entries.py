"""Log time on a change's linked ticket as the user's ConnectWise member (PRODUCT §3.6).

No public URL opens ConnectWise's own new-time-entry screen pre-filled (REFERENCE §11.2), so
the form is ours and the entry is created with `POST /time/entries`, charged to the ticket.
"""
from __future__ import annotations

from datetime import datetime

from cbcw.changes.models import Change
from cbcw.connectwise.api import errors
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.settings.models import MemberMatch


class TimeEntryRefused(Exception):
    """ConnectWise did not record the time; str() says why, fit for the popup."""


def record_time(client: ConnectWiseClient, change: Change, member: MemberMatch, start: datetime, end: datetime,
                notes: str, *, discussion: bool = False) -> dict:
    """Create the entry; a refusal (closed ticket, a status without time entry, a deleted ticket,
    ConnectWise down) raises TimeEntryRefused with a message naming the cause.

    Never retried: a POST whose answer was lost may have landed, and a second one would log the
    time twice. The user sees the failure and decides.
    """
    ticket_id = linked_ticket_id(change)
    try:
        entry = client.create_time_entry(ticket_id, member.cw_member_id, start, end, notes=notes.strip(),
                                         discussion=discussion)
    except errors.ValidationFailed as error:
        raise TimeEntryRefused(f"ConnectWise refused the time entry on ticket #{ticket_id}: "
                               f"{error.detail or 'the entry is invalid'}.") from None
    except errors.NotFound:
        raise TimeEntryRefused(f"Ticket #{ticket_id} no longer exists in ConnectWise.") from None
    except errors.Timeout:
        raise TimeEntryRefused("ConnectWise did not answer in time: the entry may or may not have been saved. "
                               "Check the ticket in ConnectWise before trying again.") from None
    except errors.ConnectWiseError as error:
        raise TimeEntryRefused(f"The time entry was not saved: {error}") from None
    return entry if isinstance(entry, dict) else {}
