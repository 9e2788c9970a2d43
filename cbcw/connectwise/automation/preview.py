"""What ConnectWise will receive if the user confirms a transition, shown under its form
("status → Scheduled, 1 internal note, schedule entry for 3 members"), and the change page's
ConnectWise activity panel. Both are declared in `cbcw/connectwise/integration.py`."""
from flask import render_template, url_for
from markupsafe import Markup
from sqlalchemy import func, select

from cbcw.changes import requirements, signals
from cbcw.changes.approvals import completes_round
from cbcw.changes.policy import decision_kinds
from cbcw.changes.models import Change
from cbcw.connectwise.automation.activity import delivery_of_change
from cbcw.connectwise.automation.models import STATE_LABELS, OutboxWrite
from cbcw.connectwise.automation.planning import Planned, plan
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.extensions import db
from cbcw.integrations.spec import Panel

# action -> (event, the keyword arguments the event would carry, as far as they shape the writes)
_EVENTS = {
    "approve": (signals.approval_recorded, {}), "reject": (signals.change_rejected, {}),
    "schedule": (signals.change_scheduled, {}), "start": (signals.implementation_started, {}),
    "complete": (signals.change_completed, {}), "fail": (signals.change_failed, {}),
    "cancel": (signals.change_cancelled, {}), "review": (signals.review_recorded, {}),
}


def transition_preview(change: Change, action: str, user) -> list[str]:
    ticket = linked_ticket_id(change)
    approved_on_submit = action == "submit" and not requirements.of_change(change).kinds
    if (action not in _EVENTS and not approved_on_submit) or ticket is None:
        return []
    settings = active_settings(change.organisation_id)
    if settings is None:
        return []
    if approved_on_submit:  # a standard change (or one the policy asks no approval of)
        planned = plan(signals.change_fully_approved, change, user, settings)
    else:
        event, details = _EVENTS[action]
        kind = (decision_kinds(change, user) or ["technical"])[0] if action in ("approve", "reject") else None
        planned = plan(event, change, user, settings, kind=kind, **details)
        if action == "approve" and completes_round(change, kind):
            planned += plan(signals.change_fully_approved, change, user, settings)
    summary = summarise(planned, change.organisation_id)
    return [f"ConnectWise ticket #{ticket} will receive: {summary}."] if summary else []


def summarise(planned: list[Planned], organisation_id: int) -> str:
    parts = [f"status → {p.payload['status']}" for p in planned if p.kind == "status"]
    notes = sum(p.kind == "note" for p in planned)
    if notes:
        parts.append(f"{notes} internal note{'s' if notes > 1 else ''}")
    people = [p.payload for p in planned if p.kind == "resource"]
    if people:
        members = _member_user_ids(organisation_id, [p["user_id"] for p in people])
        matched = sum(p["user_id"] in members for p in people)
        what = "schedule entry for the window" if people[0].get("window") or any(
            p.kind == "plan" for p in planned) else "resource"
        parts.append(f"{what} for {matched} member{'s' if matched != 1 else ''}"
                     + (f" ({len(people) - matched} not in ConnectWise, named in a note)" if matched < len(people) else ""))
    if any(p.kind == "plan" for p in planned):
        parts.append("the implementation plan in the ticket's description")
    if any(p.kind == "unschedule" for p in planned):
        parts.append("the change's schedule entries closed or removed")
    return ", ".join(parts)


def _member_user_ids(organisation_id: int, user_ids: list[int]) -> set[int]:
    return set(db.session.scalars(select(MemberMatch.user_id).where(
        MemberMatch.organisation_id == organisation_id, MemberMatch.user_id.in_(user_ids),
        MemberMatch.cw_member_id.is_not(None))))


ACTIVITY_TAB = "integration"


def activity_panel(change: Change) -> Panel | None:
    """The ConnectWise activity tab, on changes that have (or had) writes or a linked ticket, with
    its one line for the Overview ("12 writes: 11 sent, 1 failed") and, while writes are on their
    way, their live list (it asks again each second until each is sent or failed, and brings the
    line up to date each time: `overview_summary`)."""
    counts = write_counts(change)
    if not counts and linked_ticket_id(change) is None:
        return None
    live = (Markup(render_template("connectwise/_pending_writes.html", change=change, overview=True,
                                   delivery=delivery_of_change(change.id)))
            if counts.get("pending") else "")
    return Panel("ConnectWise activity", url_for("cw_activity.change_activity", change_id=change.id),
                 tab=ACTIVITY_TAB, summary=activity_summary(counts), live=live)


def write_counts(change: Change) -> dict[str, int]:
    """{state: how many} of the change's writes."""
    return dict(db.session.execute(
        select(OutboxWrite.state, func.count()).where(OutboxWrite.change_id == change.id,
                                                      OutboxWrite.organisation_id == change.organisation_id)
        .group_by(OutboxWrite.state)).all())


def overview_summary(change: Change) -> dict:
    """What the Overview's polled list sends along to replace its line (an out-of-band swap of the
    element `_panel_summaries.html` names after the tab)."""
    return {"summary": activity_summary(write_counts(change)), "summary_id": f"panel-summary-{ACTIVITY_TAB}"}


def activity_summary(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no writes yet"
    parts = [f"{counts[state]} {label.lower()}" for state, label in STATE_LABELS.items() if counts.get(state)]
    return f"{total} write{'s' if total != 1 else ''} to the ticket: {', '.join(parts)}"
