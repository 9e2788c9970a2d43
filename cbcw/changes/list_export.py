"""The changes list as CSV (PRODUCT §2.10): the rows the list's filters select, in the list's order,
with the columns a report needs. Streamed and made formula-safe by cbcw/main/csv_download.py."""
from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from flask import Response
from sqlalchemy import Select, and_
from sqlalchemy.orm import aliased

from cbcw.accounts.models import User
from cbcw.changes.labels import STATE_LABELS, reference_of
from cbcw.changes.models import Change
from cbcw.main.csv_download import csv_download, csv_time, zoned_header
from cbcw.main.templating import user_zone
from cbcw.organisations.models import Company

HEADER = ("Number", "Title", "Type", "Company", "State", "Risk", "Window start", "Window end", "Implementer",
          "Requested by", "Updated")
TIMED = frozenset({"Window start", "Window end", "Updated"})


def download(filtered: Select) -> Response:
    """The list's rows as a streamed CSV attachment (`filtered` is the list's own statement)."""
    zone = user_zone()
    return csv_download("changes.csv", zoned_header(HEADER, TIMED, zone), export_rows(filtered),
                        partial(row_cells, zone=zone))


def export_rows(filtered: Select) -> Select:
    """The list's statement (`queries.filtered_changes`: its filters, scope and order kept) reading
    plain columns instead of changes, so ten thousand rows build no objects."""
    company, implementer, requester = aliased(Company), aliased(User), aliased(User)

    def same_org(table, column):
        return and_(table.id == column, table.organisation_id == Change.organisation_id)

    return (filtered.with_only_columns(
                Change.number, Change.title, Change.change_type, company.name.label("company"), Change.state,
                Change.risk, Change.window_start, Change.window_end, implementer.display_name.label("implementer"),
                requester.display_name.label("requester"), Change.updated_at, maintain_column_froms=False)
            .outerjoin(company, same_org(company, Change.company_id))
            .outerjoin(implementer, same_org(implementer, Change.implementer_id))
            .outerjoin(requester, same_org(requester, Change.created_by_id)))


def row_cells(row, zone: ZoneInfo) -> list:
    """One CSV row (an `export_rows` row, unpacked: cheaper than reading it by name), times in `zone`."""
    number, title, change_type, company, state, risk, start, end, implementer, requester, updated = row
    return [reference_of(number), title, change_type.capitalize(), company or "", STATE_LABELS[state],
            risk.capitalize(), csv_time(start, zone), csv_time(end, zone), implementer or "", requester or "",
            csv_time(updated, zone)]

