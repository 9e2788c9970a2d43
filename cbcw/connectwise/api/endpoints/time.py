"""/time: time entries charged to a ticket."""
from __future__ import annotations

from datetime import datetime

from cbcw.connectwise.api.endpoints.bodies import iso
from cbcw.connectwise.api.http import ApiSession


# TimeEntry's action flags (schema.md): where the notes show, and whom ConnectWise e-mails.
SILENT_INTERNAL = {"addToDetailDescriptionFlag": False, "addToInternalAnalysisFlag": True,
                   "addToResolutionFlag": False, "emailResourceFlag": False, "emailContactFlag": False,
                   "emailCcFlag": False}


class TimeEndpoints(ApiSession):
    """Time an implementer spent on a change, charged to its ticket."""

    def create_time_entry(self, ticket_id: int, member_id: int, time_start: datetime,
                          time_end: datetime | None = None, *, notes: str = "",
                          billable_option: str | None = None, discussion: bool = False) -> dict:
        """Time charged to a service ticket as that member (PRODUCT §3.6), its notes added to the
        ticket's internal analysis (its discussion with `discussion`) and every e-mail action flag
        off: without them ConnectWise falls back to the ticket's `automaticEmail*` settings and may
        mail the customer (REFERENCE §11.1; django-connectwise sends all six)."""
        body = {"chargeToId": int(ticket_id), "chargeToType": "ServiceTicket", "member": {"id": int(member_id)},
                "timeStart": iso(time_start), "notes": notes, **SILENT_INTERNAL}
        if discussion:
            body |= {"addToDetailDescriptionFlag": True, "addToInternalAnalysisFlag": False}
        if time_end:
            body["timeEnd"] = iso(time_end)
        if billable_option:
            body["billableOption"] = billable_option
        return self.request("POST", "/time/entries", json=body)
