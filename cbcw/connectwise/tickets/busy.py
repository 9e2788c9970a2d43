"""The implementer's own ConnectWise schedule (PRODUCT §2.5): the other schedule entries of the
member matched to a user, overlapping a proposed window. One request within the interactive
budget; ConnectWise down, slow or refusing is "could not check", never a refusal to schedule."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.crypto import SecretUnreadable
from cbcw.extensions import db
from cbcw.integrations.spec import BusyEntry, ScheduleUnavailable


class ConnectWiseSchedule:
    label = "ConnectWise"

    def busy(self, organisation_id: int, user_id: int, start: datetime, end: datetime,
             skip_ticket_id: int | None) -> list[BusyEntry] | None:
        settings = active_settings(organisation_id)
        member_id = db.session.scalar(select(MemberMatch.cw_member_id).where(
            MemberMatch.organisation_id == organisation_id, MemberMatch.user_id == user_id))
        if settings is None or member_id is None:
            return None
        try:
            entries = client_for(settings, interactive=True).member_schedule_entries(member_id, start, end)
        except (ConnectWiseError, SecretUnreadable) as failure:
            raise ScheduleUnavailable(f"could not check ({failure})") from None
        return [busy for entry in entries
                if not (skip_ticket_id is not None and entry.get("objectId") == skip_ticket_id)
                and (busy := _entry(entry)) is not None]


def _entry(entry: dict) -> BusyEntry | None:
    try:
        start = datetime.fromisoformat(str(entry["dateStart"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(entry["dateEnd"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None  # an unscheduled entry (no dates) books no time
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return BusyEntry(start, end, str(entry.get("name") or f"Schedule entry #{entry.get('id')}")[:200])


SCHEDULE = ConnectWiseSchedule()
