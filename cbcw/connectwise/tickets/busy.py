"""The implementer's own ConnectWise schedule (PRODUCT §2.5): the other schedule entries of the
member matched to a user, overlapping a proposed window. One request within the interactive
budget; ConnectWise down, slow or refusing is "could not check", never a refusal to schedule.

The schedule form asks as it is filled in, so the answers are kept a minute per process (the
same window asked again is not asked of ConnectWise again), and the requests keep the
organisation's pace (`CW_REQUESTS_PER_SECOND`): a flood of checks is answered "could not check"
rather than passed on to ConnectWise, whose rate limit the delivery of our writes shares."""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from cbcw.connectwise.api.errors import BudgetSpent, ConnectWiseError
from cbcw.connectwise.api.http import time_budget
from cbcw.connectwise.automation.pace import pacer_for
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.connectwise.tickets.cache import TicketCache
from cbcw.crypto import SecretUnreadable
from cbcw.extensions import db
from cbcw.integrations.spec import BusyEntry, ScheduleUnavailable


# The name of an entry ChangeBreeze wrote for a change's window ends with its write's reference
# (cbcw/connectwise/automation/executors.py): that booking is the change itself, which the schedule
# check already weighs as a conflict of ours, so it is not shown a second time as a booking.
OUR_ENTRY = re.compile(r"\[cb-[0-9a-f]{8}\]\s*$")
ANSWERS = TicketCache()  # {(organisation, site, company id, member, start, end): entries}, a minute per process


class ConnectWiseSchedule:
    label = "ConnectWise"

    def busy(self, organisation_id: int, user_id: int, start: datetime, end: datetime,
             skip_ticket_id: int | None) -> list[BusyEntry] | None:
        settings = active_settings(organisation_id)
        member_id = db.session.scalar(select(MemberMatch.cw_member_id).where(
            MemberMatch.organisation_id == organisation_id, MemberMatch.user_id == user_id))
        if settings is None or member_id is None:
            return None
        key = (organisation_id, settings.base_url, settings.cw_company_id, member_id, start, end)
        entries = ANSWERS.get(key)
        if entries is None:
            entries = _ask(settings, organisation_id, member_id, start, end)
            ANSWERS.put(key, entries)
        return [busy for entry in entries
                if not (skip_ticket_id is not None and entry.get("objectId") == skip_ticket_id)
                and not OUR_ENTRY.search(str(entry.get("name") or ""))
                and (busy := _entry(entry)) is not None]


def _ask(settings, organisation_id: int, member_id: int, start: datetime, end: datetime) -> list[dict]:
    config = current_app.config
    try:
        client = client_for(settings, interactive=True)
        client.pace = pacer_for(organisation_id, config["CW_REQUESTS_PER_SECOND"])
        with time_budget(config["CW_INTERACTIVE_BUDGET"]):  # the pace's turn must come within it, or no request
            return client.member_schedule_entries(member_id, start, end)
    except BudgetSpent:
        raise ScheduleUnavailable("too many checks of ConnectWise at once; change the window in a moment "
                                  "to ask again") from None
    except (ConnectWiseError, SecretUnreadable) as failure:
        raise ScheduleUnavailable(str(failure)) from None


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
