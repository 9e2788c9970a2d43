"""The delimited Implementation plan block in a ticket's detail description (PRODUCT §3.7).

That description is the customer-facing discussion, so the block holds the window and the
implementation plan (and the test and rollback plans only when the organisation's setting says
so): never a link into ChangeBreeze or anything else internal. ConnectWise may turn line breaks into spaces, so the block is found by its
bracketed markers, never by line structure: `[ChangeBreeze plan CHG-000123]` … `[/ChangeBreeze plan]`.
"""
from __future__ import annotations

import re

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.automation import texts

END_MARKER = "[/ChangeBreeze plan]"


def plan_text(change: Change, implementer: User | None, *, with_test_and_rollback: bool = False) -> str:
    """What the customer may read: the change, its window and implementer, and its plan; the test
    and rollback plans only when the organisation chose to show them."""
    window = f"{texts.when(change.window_start)} to {texts.when(change.window_end)}" \
        if change.window_start and change.window_end else "to be set"
    extras = [f"{label}:\n{normalised(text)}" for label, text in (("Test plan", change.test_plan),
                                                                  ("Rollback plan", change.rollback_plan))
              if with_test_and_rollback and normalised(text)]
    return "\n".join(part for part in (
        f'Implementation plan for {change.reference} "{change.title}"',
        f"Window: {window}; implementer: {implementer.display_name if implementer else 'not set'}",
        normalised(change.implementation_plan), *extras,
    ) if part)


def normalised(text: str) -> str:
    """One kind of line break (a browser posts CRLF, a paste may bring CR), no trailing spaces."""
    return "\n".join(line.rstrip() for line in (text or "").splitlines()).strip()


def start_marker(reference: str) -> str:
    return f"[ChangeBreeze plan {reference}]"


def block(reference: str, body: str) -> str:
    return f"{start_marker(reference)}\n{normalised(body)}\n{END_MARKER}"


def with_block(description: str, reference: str, body: str) -> str:
    """The description with this change's block replaced, or appended when it has none yet.

    Everything outside the block (the ticket's original text, other changes' blocks) is kept.
    """
    pattern = re.compile(re.escape(start_marker(reference)) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    new_block = block(reference, body)
    if pattern.search(description):
        return pattern.sub(lambda _: new_block, description, count=1)
    return f"{description.rstrip()}\n\n{new_block}" if description.strip() else new_block
