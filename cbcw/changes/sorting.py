"""The changes list's column sorting: `?sort=<column>` ascending, `?sort=-<column>` descending.

Only the columns named here sort (anything else in the URL falls back to the default, newest
update first), and every order ends with the change's id, so rows that tie keep one order from
page to page and from one reload to the next.
"""
from sqlalchemy import Select, case, func
from sqlalchemy.orm import aliased

from cbcw.accounts.models import User
from cbcw.changes.models import STATES, Change
from cbcw.organisations.models import Company

DEFAULT = "-updated"
RISK_ORDER = {"low": 1, "medium": 2, "high": 3}
COLUMNS = ("number", "title", "company", "state", "risk", "implementer", "window", "updated")


def parse(value: str | None) -> tuple[str, bool]:
    """(column, descending) for a `sort` parameter; the default for anything not whitelisted."""
    value = value if value and value.lstrip("-") in COLUMNS else DEFAULT
    return value.lstrip("-"), value.startswith("-")


def apply(stmt: Select, value: str | None) -> Select:
    """`stmt` (over Change) ordered by the sort parameter, ties broken by id in the same direction."""
    column, descending = parse(value)
    if column == "company":
        sorted_by = func.lower(Company.name)
        stmt = stmt.outerjoin(Company, Company.id == Change.company_id)
    elif column == "implementer":
        implementer = aliased(User)
        sorted_by = func.lower(implementer.display_name)
        stmt = stmt.outerjoin(implementer, implementer.id == Change.implementer_id)
    else:
        sorted_by = {
            "number": Change.number, "title": func.lower(Change.title), "window": Change.window_start,
            "updated": Change.updated_at,
            "state": case({state: index for index, state in enumerate(STATES)}, value=Change.state),
            "risk": case(RISK_ORDER, value=Change.risk, else_=0),
        }[column]
    direction = (lambda c: c.desc()) if descending else (lambda c: c.asc())
    # Empty values (no company, implementer or window yet) come last either way.
    return stmt.order_by(direction(sorted_by).nulls_last(), direction(Change.id))


def link_value(column: str, current: str | None) -> str:
    """The `sort` value a column heading links to: its other direction when it sorts now."""
    now, descending = parse(current)
    if column != now:
        return f"-{column}" if column in ("updated", "window") else column
    return column if descending else f"-{column}"
