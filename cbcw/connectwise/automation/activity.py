"""Integration activity (PRODUCT §3.8): the writes of a change or an organisation, the exact
request each sends, and Retry."""
from dataclasses import dataclass
from typing import Optional

from markupsafe import Markup, escape
from sqlalchemy import Select, or_, update

from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.wakeup import announce
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.tenancy import scoped

NOTE_FLAGS = {"internalAnalysisFlag": True, "detailDescriptionFlag": False, "resolutionFlag": False,
              "processNotifications": False}
# Shown with every request: what the client adds, with the secret parts redacted.
HEADERS = {"Authorization": "Basic (company+public key : private key, redacted)",
           "clientId": "(this server's CW_CLIENT_ID)", "Content-Type": "application/json"}


# What the filtered list says when it has no write in that state (the others may have some).
EMPTY_FILTER_MESSAGES = {"pending": "No pending writes.", "sent": "No sent writes.",
                         "skipped": "No writes that were not needed.", "failed": "No failed writes."}


def writes_of_organisation(state: str | None = None) -> Select:
    stmt = scoped(OutboxWrite).order_by(OutboxWrite.id.desc())
    return stmt.where(OutboxWrite.state == state) if state else stmt


def writes_of_change(change_id: int) -> list[OutboxWrite]:
    return db.session.scalars(scoped(OutboxWrite).where(OutboxWrite.change_id == change_id)
                              .order_by(OutboxWrite.id)).all()


@dataclass
class Delivery:
    """A change's writes on their way to ConnectWise: those pending, and the others since `since`
    (the first one shown), so a write sent while the page watches stays on show as sent."""

    writes: list[OutboxWrite]
    since: Optional[int]

    @property
    def pending(self) -> int:
        return sum(w.state == "pending" for w in self.writes)


def delivery_of_change(change_id: int, since: Optional[int] = None) -> Delivery:
    shown = OutboxWrite.state == "pending" if since is None else or_(OutboxWrite.state == "pending",
                                                                      OutboxWrite.id >= since)
    writes = db.session.scalars(scoped(OutboxWrite).where(OutboxWrite.change_id == change_id, shown)
                                .order_by(OutboxWrite.id)).all()
    return Delivery(writes, since if since is not None else (writes[0].id if writes else None))


def requests_of(row: OutboxWrite) -> list[dict]:
    """What the write sent (once delivered) or will send: method, path and body."""
    if row.result and row.result.get("requests"):
        return row.result["requests"]
    ticket, payload = row.ticket_id, row.payload
    if row.kind == "status":
        return [{"method": "PATCH", "path": f"/service/tickets/{ticket}", "body": [
            {"op": "replace", "path": "status", "value": {"id": f"(id of “{payload['status']}” on the ticket's board)"}}]}]
    if row.kind == "note":
        return [{"method": "POST", "path": f"/service/tickets/{ticket}/notes", "body": {"text": payload["text"], **NOTE_FLAGS}}]
    if row.kind == "resource":
        body = {"objectId": ticket, "type": {"identifier": "S"}, "member": {"id": f"(member of {payload['user_name']})"},
                "allowScheduleConflictsFlag": True}
        if payload.get("window"):
            body |= {"dateStart": payload["window"]["start"], "dateEnd": payload["window"]["end"]}
        return [{"method": "POST", "path": "/schedule/entries", "body": body},
                {"method": "POST", "path": f"/service/tickets/{ticket}/notes",
                 "body": {"text": f"(“{payload['user_name']} added as a ticket resource”)", **NOTE_FLAGS}}]
    if row.kind == "unmatched":
        names = ", ".join(u["name"] for u in payload["users"])
        return [{"method": "POST", "path": f"/service/tickets/{ticket}/notes",
                 "body": {"text": f"(those of {names} who are not ConnectWise members)", **NOTE_FLAGS}}]
    if row.kind == "unschedule":
        return [{"method": "PATCH or DELETE", "path": f"/schedule/entries/(each open “{payload['change']} …” entry)",
                 "body": [{"op": "replace", "path": "doneFlag", "value": True}]}]
    return [{"method": "PATCH", "path": f"/service/tickets/{ticket}/notes/(detail description note)",
             "body": [{"op": "replace", "path": "text", "value": f"(description with the block)\n{payload['text']}"}]}]


def breakable_path(path: str) -> Markup:
    """The path, escaped, allowed to wrap only after a slash: never inside a word ("tic kets")."""
    return Markup("/<wbr>").join(escape(part) for part in path.split("/"))


def retry(rows: list[OutboxWrite]) -> int:
    """Send these failed (or waiting) writes again as soon as possible; returns how many."""
    ids = [row.id for row in rows if row.state in ("failed", "pending")]
    if not ids:
        return 0
    db.session.execute(update(OutboxWrite).where(OutboxWrite.id.in_(ids)).values(
        state="pending", next_attempt_at=utcnow(), finished_at=None).execution_options(synchronize_session="fetch"))
    announce()
    return len(ids)
