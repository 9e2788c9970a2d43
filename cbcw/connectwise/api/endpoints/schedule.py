"""/schedule: the entries that make a member a resource of a ticket."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from cbcw.connectwise.api import shapes
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.endpoints.bodies import iso
from cbcw.connectwise.api.http import ApiSession

SERVICE_TICKET_SCHEDULE_TYPE = "S"
SCHEDULE_ENTRY_FIELDS = "id,objectId,type,member,name,dateStart,dateEnd"


class ScheduleEndpoints(ApiSession):
    """Service ticket schedule entries (type S): the implementer booked on a change's ticket."""

    def create_schedule_entry(self, ticket_id: int, member_id: int, *, start: datetime | None = None,
                              end: datetime | None = None, name: str | None = None) -> dict:
        """Make the member a resource of the ticket (type S); without dates it is unscheduled."""
        body = {"objectId": int(ticket_id), "type": {"identifier": SERVICE_TICKET_SCHEDULE_TYPE},
                "member": {"id": int(member_id)}, "allowScheduleConflictsFlag": True}
        if name:
            body["name"] = name
        if start:
            body["dateStart"] = iso(start)
        if end:
            body["dateEnd"] = iso(end)
        return self.request("POST", "/schedule/entries", json=body)

    def update_schedule_entry(self, entry_id: int, operations: list[dict]) -> dict:
        return self.request("PATCH", f"/schedule/entries/{int(entry_id)}", json=operations)

    def delete_schedule_entry(self, entry_id: int) -> None:
        self.request("DELETE", f"/schedule/entries/{int(entry_id)}")

    def list_ticket_schedule_entries(self, ticket_id: int) -> list[dict]:
        conditions = C.and_(C.eq("type/identifier", SERVICE_TICKET_SCHEDULE_TYPE), C.eq("objectId", int(ticket_id)))
        return [shapes.record(e, "a schedule entry") for e in self.iter_list("/schedule/entries", conditions)]

    def list_schedule_entries_of_tickets(self, ticket_ids: Iterable[int]) -> list[dict]:
        """The service schedule entries (resources) of these tickets, batched like `list_tickets`."""
        wanted = sorted({int(t) for t in ticket_ids})

        def conditions(run):
            return C.and_(C.eq("type/identifier", SERVICE_TICKET_SCHEDULE_TYPE), C.in_("objectId", run))

        found = []
        for run in self._runs("/schedule/entries", wanted, conditions, SCHEDULE_ENTRY_FIELDS):
            entries = map(shapes.record, self.iter_list("/schedule/entries", conditions(run), fields=SCHEDULE_ENTRY_FIELDS))
            found += [e for e in entries if e.get("objectId") in run]
        return found

    def member_schedule_entries(self, member_id: int, start: datetime, end: datetime, limit: int = 100) -> list[dict]:
        """A member's open schedule entries (of any type; a done one books no time) overlapping
        `start`–`end`: one request, the first `limit` by start (enough to say a person is busy;
        never paged further)."""
        conditions = C.and_(C.eq("member/id", int(member_id)), C.eq("doneFlag", False), C.lt("dateStart", end),
                            C.gt("dateEnd", start))
        return [shapes.record(e, "a schedule entry") for e in
                self._first_page("/schedule/entries", conditions, limit, "dateStart asc", SCHEDULE_ENTRY_FIELDS)]
