"""What a proposed implementation window meets (PRODUCT §2.5): blackouts it falls into (refused for
standard and normal changes) and the company's maintenance windows it lies outside (a warning).
Read in a fixed number of statements, whatever the range."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from cbcw.extensions import db
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import Occurrence, occurrences


@dataclass
class WindowCheck:
    blackouts: list[Occurrence] = field(default_factory=list)
    # The company's maintenance windows, when the window lies outside all of them.
    outside_maintenance: list[ScheduleWindow] = field(default_factory=list)

    @property
    def blackout_names(self) -> str:
        return ", ".join(dict.fromkeys(f"“{o.window.name}”" for o in self.blackouts))

    @property
    def maintenance_names(self) -> str:
        return ", ".join(f"“{w.name}”" for w in self.outside_maintenance)


def windows_for(organisation_id: int, company_id: int | None, every_company: bool = False,
                blackouts_of: Collection[int] = ()) -> list[ScheduleWindow]:
    """The active windows that apply to a change of `company_id`: the organisation's and the
    company's (or, for the calendar, `every_company`'s), and the blackouts of `blackouts_of` (the
    companies whose devices the change touches), in one statement."""
    stmt = (select(ScheduleWindow).options(joinedload(ScheduleWindow.company))
            .where(ScheduleWindow.organisation_id == organisation_id, ScheduleWindow.active.is_(True))
            .order_by(ScheduleWindow.name, ScheduleWindow.id))
    if not every_company:
        stmt = stmt.where(or_(ScheduleWindow.company_id.is_(None), ScheduleWindow.company_id == company_id,
                              and_(ScheduleWindow.kind == "blackout", ScheduleWindow.company_id.in_(blackouts_of))))
    return list(db.session.scalars(stmt))


def check(windows: list[ScheduleWindow], company_id: int | None, start: datetime, end: datetime) -> WindowCheck:
    """The blackouts `start`–`end` overlaps, and the maintenance windows it is outside of."""
    result = WindowCheck()
    maintenance = [w for w in windows if w.kind == "maintenance" and w.company_id == company_id
                   and company_id is not None]
    for window in windows:
        if window.kind == "blackout":
            result.blackouts += occurrences(window, start, end)
    if maintenance and not inside_any(maintenance, start, end):
        result.outside_maintenance = maintenance
    return result


def inside_any(windows: list[ScheduleWindow], start: datetime, end: datetime) -> bool:
    """Whether `start`–`end` lies inside the openings of these windows (back-to-back ones join)."""
    spans = sorted((o.start, o.end) for w in windows for o in occurrences(w, start, end))
    covered_to = start
    for opens, closes in spans:
        if opens > covered_to:
            break
        covered_to = max(covered_to, closes)
        if covered_to >= end:
            return True
    return False
