"""How each kind of outbox write is sent to ConnectWise, idempotently.

Every executor first looks at the ticket when an earlier attempt may have reached ConnectWise
(`check_first`): a note is found by the short reference ending its text, a schedule entry by the
reference in its name, so a retry never posts twice. A refusal that retrying cannot fix raises
`Permanent`; ConnectWise errors otherwise propagate for the deliverer to classify.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbcw.connectwise.api import errors
from cbcw.connectwise.automation import plan_block, status_cache, texts
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.planning import CANCEL, CLOSE_ALL, CLOSE_WINDOWS, REMOVE
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.endpoints.bodies import iso, replace
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.settings.members import refresh_matches
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.extensions import db


class Permanent(Exception):
    """ConnectWise will never accept this write as it stands; str() says why, in plain words."""


@dataclass
class Outcome:
    state: str  # "sent" or "skipped"
    summary: str
    requests: list[dict] = field(default_factory=list)


_refreshing = threading.Lock()


class Members:
    """Users → ConnectWise members for one organisation during one delivery pass: the stored
    matches (PRODUCT §3.10), refreshed in one lookup at most when a user was never matched."""

    def __init__(self, organisation_id: int, client: ConnectWiseClient):
        self.organisation_id = organisation_id
        self.client = client
        self.refreshed = False

    def member_for(self, user_id: int) -> MemberMatch | None:
        match = self._match(user_id)
        if match is None and not self.refreshed:
            self.refreshed = True
            with _refreshing:  # one refresh at a time among this process's sending threads
                match = self._match(user_id)
                if match is None:
                    self._refresh()
                    match = self._match(user_id)
        return match if match is not None and match.cw_member_id else None

    def _refresh(self) -> None:
        try:
            refresh_matches(self.organisation_id, self.client)
            db.session.commit()  # no database lock held while the write goes on to ConnectWise
        except IntegrityError:
            db.session.rollback()  # another process stored the same matches at the same moment: read theirs

    def _match(self, user_id: int) -> MemberMatch | None:
        return db.session.scalar(select(MemberMatch).where(
            MemberMatch.organisation_id == self.organisation_id, MemberMatch.user_id == user_id))


class Ticket:
    """What one delivery pass has learnt about one ticket, so its writes share the lookups."""

    def __init__(self, ticket_id: int, client: ConnectWiseClient, organisation_id: int, members: Members):
        self.id = ticket_id
        self.client = client
        self.organisation_id = organisation_id
        self.members = members
        self._entries: list[dict] | None = None

    def board(self) -> dict:
        return status_cache.ticket_board(self.client, self.organisation_id, self.id)

    def entries(self, refresh: bool = False) -> list[dict]:
        """The ticket's service schedule entries (its resources)."""
        if self._entries is None or refresh:
            self._entries = self.client.list_ticket_schedule_entries(self.id)
        return self._entries

    def remember_entry(self, entry: dict) -> None:
        self._entries = [e for e in self.entries() if e.get("id") != entry.get("id")] + [entry]

    def find_note(self, reference: str) -> dict | None:
        """Our note ending with `reference`, looked for among all the ticket's notes: whether
        ConnectWise filters notes by `text contains` is not confirmed (docs/connectwise-behaviour.md)."""
        notes = self.client.list_ticket_notes(self.id)
        return next((n for n in notes if reference in (n.get("text") or "")), None)

    def post_note(self, text: str, outcome: Outcome) -> dict:
        body = {"text": text, "internalAnalysisFlag": True, "detailDescriptionFlag": False,
                "resolutionFlag": False, "processNotifications": False}
        outcome.requests.append(request("POST", f"/service/tickets/{self.id}/notes", body))
        return self.client.create_ticket_note(self.id, text)


def request(method: str, path: str, body) -> dict:
    """A write as the activity view shows it (paths and bodies carry no secrets)."""
    return {"method": method, "path": path, "body": body}


def send(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    return _EXECUTORS[row.kind](row, ticket, check_first)


def _status(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    name = row.payload["status"]
    for fresh in (False, True):
        if fresh:
            status_cache.forget_ticket(ticket.client, ticket.organisation_id, ticket.id)
        board = ticket.board()
        if fresh:
            status_cache.forget_board(ticket.client, ticket.organisation_id, board["id"])
        status = status_cache.board_status(ticket.client, ticket.organisation_id, board["id"], name)
        if status is None:
            if not fresh:
                continue  # the ticket may have moved board since we cached it
            raise Permanent(f"The status “{name}” (your {row.payload['setting']} status) does not exist on "
                            f"the board “{board.get('name', board['id'])}” of ticket #{ticket.id}. Add it in "
                            "ConnectWise or change the name in the ConnectWise settings, then press Retry.")
        body = [replace("status", {"id": status["id"]})]
        outcome = Outcome("sent", f"ticket #{ticket.id} status set to {status.get('name', name)}",
                          [request("PATCH", f"/service/tickets/{ticket.id}", body)])
        try:
            ticket.client.patch_ticket(ticket.id, body)
        except errors.ValidationFailed:
            if fresh:
                raise
            continue
        return outcome
    raise AssertionError("unreachable")


def _note(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    outcome = Outcome("sent", f"internal note posted on ticket #{ticket.id}")
    if check_first and ticket.find_note(row.reference):
        outcome.summary += " (an earlier attempt had reached ConnectWise)"
        return outcome
    ticket.post_note(row.payload["text"], outcome)
    return outcome


def _resource(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    payload = row.payload
    name = payload["user_name"]
    match = ticket.members.member_for(payload["user_id"])
    if match is None:
        return Outcome("skipped", f"{name} is not a ConnectWise member (listed in the “not in ConnectWise” note)")
    mine = [e for e in ticket.entries(refresh=check_first) if (e.get("member") or {}).get("id") == match.cw_member_id]
    ours = next((e for e in mine if row.reference in (e.get("name") or "")), None)
    window = payload.get("window")
    outcome = Outcome("sent", f"{name} added as a resource on ticket #{ticket.id}")
    if window is None:
        if ours is None and mine:
            return Outcome("skipped", f"{name} is already a resource on ticket #{ticket.id}")
        if ours is None:
            _create_entry(ticket, match, f"{payload['change']} {payload['title']}"[:230], row.reference, None, outcome)
    else:
        marker = f"{payload['change']} implementation window"
        target = ours or next((e for e in mine if marker in (e.get("name") or "")), None) \
            or next((e for e in mine if not e.get("dateStart")), None)
        if target is None:
            _create_entry(ticket, match, marker, row.reference, window, outcome)
        elif ours is None:
            _update_window(ticket, target, marker, row.reference, window)
            return Outcome("sent", f"implementation window of {name} on ticket #{ticket.id} set to "
                                   f"{_span(window)}", [request("PATCH", f"/schedule/entries/{target['id']}",
                                                                _window_ops(marker, row.reference, window))])
    note = (f"{payload['change']} \"{payload['title']}\": {name} (ConnectWise member "
            f"{match.cw_member_identifier or match.cw_member_id}) added as a ticket "
            f"resource ({texts.roles_phrase(payload['roles'])})"
            + (f", implementation window {_span(window)}" if window else "") + ".")
    text = texts.with_reference(note, row.reference)
    if not (check_first and ticket.find_note(row.reference)):
        ticket.post_note(text, outcome)
    return outcome


def _create_entry(ticket: Ticket, match: MemberMatch, name: str, reference: str, window, outcome: Outcome) -> None:
    start, end = (_moment(window["start"]), _moment(window["end"])) if window else (None, None)
    body = {"objectId": ticket.id, "type": {"identifier": "S"}, "member": {"id": match.cw_member_id},
            "allowScheduleConflictsFlag": True, "name": f"{name} [{reference}]"}
    if window:
        body |= {"dateStart": iso(start), "dateEnd": iso(end)}
    outcome.requests.append(request("POST", "/schedule/entries", body))
    ticket.remember_entry(ticket.client.create_schedule_entry(
        ticket.id, match.cw_member_id, start=start, end=end, name=body["name"]))


def _window_ops(marker: str, reference: str, window) -> list[dict]:
    """A new window for an entry; one closed when the change failed opens again."""
    return [replace("dateStart", iso(_moment(window["start"]))), replace("dateEnd", iso(_moment(window["end"]))),
            replace("name", f"{marker} [{reference}]"), replace("doneFlag", False)]


def _update_window(ticket: Ticket, entry: dict, marker: str, reference: str, window) -> None:
    ticket.remember_entry(ticket.client.update_schedule_entry(entry["id"], _window_ops(marker, reference, window)))


def _unmatched(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    missing = [u for u in row.payload["users"] if ticket.members.member_for(u["id"]) is None]
    if not missing:
        return Outcome("skipped", "everyone is a ConnectWise member")
    change = row.change
    lines = [f'{change.reference} "{change.title}": not in ConnectWise, so not added as ticket resources:']
    lines += [f"- {u['name']} ({texts.roles_phrase(u['roles'])})" for u in missing]
    lines.append("An admin can match them to members in Settings > Integrations > ConnectWise.")
    outcome = Outcome("sent", f"note listing {len(missing)} user(s) not in ConnectWise posted on ticket #{ticket.id}")
    if not (check_first and ticket.find_note(row.reference)):
        ticket.post_note(texts.with_reference("\n".join(lines), row.reference), outcome)
    return outcome


def _plan(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    """The plan block in the ticket's description note. A ticket without one gets no new
    customer-facing note (PRODUCT §3.7): the plan goes to the technicians as an internal note."""
    reference, body = row.payload["change"], row.payload["text"]
    described = ticket.client.list_ticket_notes(ticket.id, C.eq("detailDescriptionFlag", True))
    if not described:
        outcome = Outcome("sent", f"ticket #{ticket.id} has no description: implementation plan posted "
                                  "as an internal note")
        if not (check_first and ticket.find_note(row.reference)):
            ticket.post_note(texts.with_reference(plan_block.block(reference, body), row.reference), outcome)
        return outcome
    description = min(described, key=lambda n: n.get("id", 0))
    text = plan_block.with_block(description.get("text") or "", reference, body)
    if text == description.get("text"):
        return Outcome("skipped", f"the description of ticket #{ticket.id} already carries this plan")
    operations = [replace("text", text)]
    ticket.client.patch_ticket_note(ticket.id, description["id"], operations)
    return Outcome("sent", f"implementation plan in the description of ticket #{ticket.id} updated",
                   [request("PATCH", f"/service/tickets/{ticket.id}/notes/{description['id']}", operations)])


def _unschedule(row: OutboxWrite, ticket: Ticket, check_first: bool) -> Outcome:
    """Close (`doneFlag`) or delete the change's schedule entries on the ticket as its mode says
    (`planning.CLOSE_ALL` …; rows written before modes existed were cancellations). The entries
    are found by the change's reference starting their name, so a retry after an unknown outcome
    finds only what is left: an entry already done or gone counts as handled."""
    change, mode = row.payload["change"], row.payload.get("mode", CANCEL)
    ours = [e for e in ticket.entries(refresh=True) if (e.get("name") or "").startswith(f"{change} ")]
    windows = [e for e in ours if f"{change} implementation window" in (e.get("name") or "")]
    delete = {REMOVE: ours, CANCEL: windows}.get(mode, [])
    close = [e for e in ({CLOSE_ALL: ours, CANCEL: ours, CLOSE_WINDOWS: windows}.get(mode, []))
             if e not in delete and not e.get("doneFlag")]
    if not delete and not close:
        return Outcome("skipped", f"no open schedule entry of {change} on ticket #{ticket.id}")
    done = [f"{len(delete)} removed"] if delete else []
    done += [f"{len(close)} closed"] if close else []
    outcome = Outcome("sent", f"schedule entries of {change} on ticket #{ticket.id}: {', '.join(done)}")
    for entry in delete:
        outcome.requests.append(request("DELETE", f"/schedule/entries/{entry['id']}", None))
        try:
            ticket.client.delete_schedule_entry(entry["id"])
        except errors.NotFound as gone:
            if not gone.record_gone:
                raise
    for entry in close:
        operations = [replace("doneFlag", True)]
        outcome.requests.append(request("PATCH", f"/schedule/entries/{entry['id']}", operations))
        ticket.remember_entry(ticket.client.update_schedule_entry(entry["id"], operations))
    return outcome


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _span(window) -> str:
    return f"{texts.when(_moment(window['start']))} to {texts.when(_moment(window['end']))}"


_EXECUTORS = {"status": _status, "note": _note, "resource": _resource, "unmatched": _unmatched, "plan": _plan,
              "unschedule": _unschedule}
