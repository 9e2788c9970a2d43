"""The delimited Implementation plan block in a ticket's detail description (PRODUCT §3.7).

ConnectWise may turn line breaks into spaces, so the block is found by its bracketed markers,
never by line structure: `[ChangeBreeze plan CHG-000123]` … `[/ChangeBreeze plan]`.
"""
import re

END_MARKER = "[/ChangeBreeze plan]"


def start_marker(reference: str) -> str:
    return f"[ChangeBreeze plan {reference}]"


def block(reference: str, body: str) -> str:
    return f"{start_marker(reference)}\n{body.strip()}\n{END_MARKER}"


def with_block(description: str, reference: str, body: str) -> str:
    """The description with this change's block replaced, or appended when it has none yet.

    Everything outside the block (the ticket's original text, other changes' blocks) is kept.
    """
    pattern = re.compile(re.escape(start_marker(reference)) + r".*?" + re.escape(END_MARKER), re.DOTALL)
    new_block = block(reference, body)
    if pattern.search(description):
        return pattern.sub(lambda _: new_block, description, count=1)
    return f"{description.rstrip()}\n\n{new_block}" if description.strip() else new_block
