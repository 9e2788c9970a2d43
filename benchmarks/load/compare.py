"""Outbox against the simulator's journal: was every ConnectWise write made exactly once?

Inputs: the outbox rows created during a soak (dicts with id, kind, state, reference, ticket_id,
last_error) and the simulator journal of the same period (`GET /_sim/journal`). Only journal
writes ConnectWise accepted (2xx) count: a 503 or 429 was refused before it did anything.

- Notes (kinds note, unmatched, and the note of a resource) and schedule entries (resource) carry
  their row's `[cb-xxxxxxxx]` reference: a sent row needs at least one accepted write with its
  reference (lost otherwise); a reference on two accepted note POSTs, or on two schedule-entry
  POSTs, is a duplicate. A resource found on the ticket by an earlier attempt and sent as a
  window update (PATCH) is an idempotent update, not a duplicate.
- Status changes and the plan block carry no reference: per ticket, the accepted status PATCHes
  and plan writes are counted against the sent rows. More status PATCHes than rows are repeats
  of the same idempotent PATCH after an unknown outcome (reported, they change nothing); more
  plan writes than plan rows sent or skipped ("already carries this plan") are duplicates;
  fewer accepted writes than sent rows are lost.
- Closing or removing a change's schedule entries (kind unschedule) carries no reference: each
  PATCH or DELETE of an entry the sent row recorded (`requests`) must be among the accepted
  writes; repeating one is idempotent.
- An accepted write with a reference no soak row has is unexplained.
- A row left pending, or failed, is unfinished, unless `expected_refusal(row)` says ConnectWise
  refuses it for good by design of the data (the demo's Help Desk board has no "Change Linked"
  status: a permanent refusal the integration shows, as PRODUCT §3.8 asks).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

REFERENCE = re.compile(r"\[(cb-[0-9a-f]{8})\]")
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
TICKET = re.compile(r"/service/tickets/(\d+)$")
TICKET_NOTES = re.compile(r"/service/tickets/(\d+)/notes(?:/\d+)?$")
ENTRIES = re.compile(r"/schedule/entries(?:/\d+)?$")


@dataclass
class Comparison:
    rows: Counter = field(default_factory=Counter)          # outbox rows by state
    accepted_writes: int = 0
    refused_writes: int = 0                                  # 4xx/5xx answers or cut connections
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    idempotent_repeats: int = 0
    unexplained: list[str] = field(default_factory=list)
    not_finished: list[str] = field(default_factory=list)   # pending or failed rows
    expected_refusals: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexplained or self.not_finished)


def _references(value) -> list[str]:
    """Every reference in a write's body (note text, entry name, PATCH operations)."""
    if isinstance(value, str):
        return REFERENCE.findall(value)
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


def _kind_of(entry: dict) -> tuple[str, int | None]:
    """(what the write is, its ticket id when the path names one)."""
    method, path = entry["method"], entry["path"]
    ticket = TICKET.search(path)
    if ticket and method == "PATCH":
        return "ticket_patch", int(ticket.group(1))
    notes = TICKET_NOTES.search(path)
    if notes:
        body = entry.get("json") or {}
        described = isinstance(body, dict) and body.get("detailDescriptionFlag")
        if method == "PATCH" or described:
            return "plan", int(notes.group(1))
        return "note", int(notes.group(1))
    if ENTRIES.search(path):
        return ("entry" if method == "POST" else "entry_update"), None
    return "other", None


def compare(rows: list[dict], journal: list[dict], expected_refusal=lambda row: False) -> Comparison:
    result = Comparison(rows=Counter(row["state"] for row in rows))
    by_reference: dict[str, Counter] = defaultdict(Counter)
    per_ticket: dict[tuple[str, int], int] = Counter()
    entry_writes: set[tuple[str, str]] = set()  # (method, path from /schedule/entries) accepted
    for entry in journal:
        if entry["method"] not in WRITE_METHODS:
            continue
        if entry.get("status") is None or not 200 <= entry["status"] < 300:
            result.refused_writes += 1
            continue
        result.accepted_writes += 1
        kind, ticket = _kind_of(entry)
        if kind == "entry_update":
            entry_writes.add((entry["method"], entry["path"][entry["path"].index("/schedule/entries"):]))
        if kind in ("ticket_patch", "plan"):
            per_ticket[(kind, ticket)] += 1
        for reference in set(_references(entry.get("json"))):
            by_reference[reference][kind] += 1

    known = {row["reference"] for row in rows}
    sent_per_ticket: dict[tuple[str, int], int] = Counter()
    settled_plans: dict[int, int] = Counter()
    for row in rows:
        label = f"#{row['id']} {row['kind']} [{row['reference']}] ticket {row['ticket_id']}"
        if row["state"] == "failed" and expected_refusal(row):
            result.expected_refusals += 1
        elif row["state"] in ("pending", "failed"):
            result.not_finished.append(f"{label}: {row['state']} ({row.get('last_error') or ''})")
        if row["kind"] == "status":
            sent_per_ticket[("ticket_patch", row["ticket_id"])] += row["state"] == "sent"
            continue
        if row["kind"] == "plan":
            sent_per_ticket[("plan", row["ticket_id"])] += row["state"] == "sent"
            # "already carries this plan": an earlier attempt whose answer was lost had written it
            settled_plans[row["ticket_id"]] += row["state"] in ("sent", "skipped")
            continue
        if row["kind"] == "unschedule":
            missing = [f"{r['method']} {r['path']}" for r in row.get("requests") or ()
                       if (r["method"], r["path"]) not in entry_writes]
            if row["state"] == "sent" and missing:
                result.lost.append(f"{label}: {', '.join(missing)} never accepted")
            continue
        writes = by_reference.get(row["reference"], Counter())
        if row["state"] == "sent" and not sum(writes.values()):
            result.lost.append(label)
        if writes["note"] > 1 or writes["entry"] > 1:
            result.duplicated.append(f"{label}: {dict(writes)}")
        result.idempotent_repeats += max(writes["entry_update"] - 1, 0)
    for key in set(per_ticket) | set(sent_per_ticket):
        made, sent = per_ticket.get(key, 0), sent_per_ticket.get(key, 0)
        if made < sent:
            result.lost.append(f"{key[0]} on ticket {key[1]}: {sent} sent, {made} accepted by ConnectWise")
        elif key[0] == "plan" and made > settled_plans.get(key[1], 0):
            result.duplicated.append(f"plan on ticket {key[1]}: {sent} sent, {made} accepted by ConnectWise")
        else:
            result.idempotent_repeats += made - sent
    result.unexplained = sorted(set(by_reference) - known)
    return result


def describe(result: Comparison) -> list[str]:
    """The comparison as report lines."""
    states = ", ".join(f"{count} {state}" for state, count in sorted(result.rows.items())) or "none"
    lines = [f"outbox rows: {states}",
             f"ConnectWise writes accepted: {result.accepted_writes}; refused by the faults (retried): "
             f"{result.refused_writes}",
             f"lost: {len(result.lost)}; duplicated: {len(result.duplicated)}; unexplained: "
             f"{len(result.unexplained)}; left pending or failed: {len(result.not_finished)}; "
             f"idempotent PATCH repeats: {result.idempotent_repeats}",
             f"refused for good as the data intends (status missing on the board, shown as failed): "
             f"{result.expected_refusals}"]
    for title, items in (("lost", result.lost), ("duplicated", result.duplicated),
                         ("unexplained", result.unexplained), ("not finished", result.not_finished)):
        lines += [f"  {title}: {item}" for item in items[:20]]
    return lines
