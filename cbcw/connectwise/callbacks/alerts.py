"""A linked ticket's fate in ConnectWise, flagged on an open change (PRODUCT §3.11): closed,
merged into another ticket, moved to a company other than the change's, or deleted. Each is
raised once, with a timeline entry, and cleared (with another) when ConnectWise shows it no more."""
from __future__ import annotations

from sqlalchemy import select

from cbcw.changes import timeline
from cbcw.changes.models import Change
from cbcw.connectwise.api import shapes
from cbcw.connectwise.callbacks.models import TicketAlert
from cbcw.connectwise.settings.models import CompanyMapping
from cbcw.db import utcnow
from cbcw.extensions import db

CLOSED_CHANGE_STATES = ("completed", "cancelled")
WORDS = {"closed": "was closed", "merged": "was merged into another ticket",
         "moved": "was moved to another company", "deleted": "was deleted"}
CLEARED = {"closed": "is open again", "merged": "is no longer merged", "moved": "is back with the change's company",
           "deleted": "exists again"}


def fate(change: Change, record: dict | None) -> dict[str, str]:
    """{kind: detail} for what ConnectWise's ticket `record` (None: deleted) shows against the change."""
    if record is None:
        return {"deleted": ""}
    found = {}
    if shapes.flag(record, "closedFlag"):
        status = record.get("status")
        found["closed"] = shapes.text(status, "name") if isinstance(status, dict) else ""
    parent = shapes.reference_id(record, "mergedParentTicket")
    if parent is not None:
        found["merged"] = f"into #{parent}"
    company_id = shapes.reference_id(record, "company")
    expected = db.session.scalar(select(CompanyMapping.cw_company_id).where(
        CompanyMapping.organisation_id == change.organisation_id, CompanyMapping.company_id == change.company_id))
    if expected is not None and company_id is not None and company_id != expected:
        company = record.get("company")
        found["moved"] = shapes.text(company, "name") if isinstance(company, dict) else ""
    return found


def update(change: Change, ticket_id: int, record: dict | None) -> None:
    """Raise what the ticket now shows and clear what it no longer does (in the caller's transaction)."""
    current = {a.kind: a for a in db.session.scalars(select(TicketAlert).where(
        TicketAlert.change_id == change.id, TicketAlert.ticket_id == ticket_id))}
    shown = fate(change, record) if change.state not in CLOSED_CHANGE_STATES else {}
    now = utcnow()
    for kind, detail in shown.items():
        alert = current.get(kind)
        if alert is not None and alert.cleared_at is None:
            continue
        if alert is None:
            alert = TicketAlert(organisation_id=change.organisation_id, change_id=change.id, ticket_id=ticket_id,
                                kind=kind)
            db.session.add(alert)
        alert.detail, alert.raised_at, alert.cleared_at = detail[:200], now, None
        timeline.record_system(change.organisation_id, change.id, "integration_alert",
                               f"ConnectWise: ticket #{ticket_id} {describe(kind, detail)} while this change is open.",
                               ticket_id=ticket_id, alert=kind)
    for kind, alert in current.items():
        if kind not in shown and alert.cleared_at is None and change.state not in CLOSED_CHANGE_STATES:
            alert.cleared_at = now
            timeline.record_system(change.organisation_id, change.id, "integration_alert_cleared",
                                   f"ConnectWise: ticket #{ticket_id} {CLEARED[kind]}.",
                                   ticket_id=ticket_id, alert=kind)


def describe(kind: str, detail: str) -> str:
    if kind == "closed" and detail:
        return f"was closed ({detail})"
    if kind == "merged" and detail:
        return f"was merged {detail}"
    if kind == "moved" and detail:
        return f"was moved to {detail}"
    return WORDS[kind]


def open_alerts(organisation_id: int, change_id: int | None = None) -> list[TicketAlert]:
    """The organisation's raised alerts on open changes (of one change with `change_id`)."""
    query = select(TicketAlert).join(Change, Change.id == TicketAlert.change_id).where(
        TicketAlert.organisation_id == organisation_id, TicketAlert.cleared_at.is_(None),
        Change.linked_ticket_id == TicketAlert.ticket_id, Change.state.not_in(CLOSED_CHANGE_STATES))
    if change_id is not None:
        query = query.where(TicketAlert.change_id == change_id)
    return list(db.session.scalars(query.order_by(TicketAlert.change_id, TicketAlert.id)))
