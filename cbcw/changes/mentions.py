"""`@hostname` mentions in a change's texts link the devices they name (PRODUCT §2.4)."""
import re
from typing import Optional

from sqlalchemy import func, select

from cbcw.accounts.models import User
from cbcw.changes import timeline
from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.extensions import db

# The texts whose mentions link devices.
MENTION_FIELDS = ("description", "implementation_plan", "rollback_plan", "test_plan")

# An "@" not glued to a word, dot or dash on its left (so a@b.com is an email, not a mention),
# then a hostname: letters, digits, ".", "-", "_", starting with a letter or digit.
_MENTION = re.compile(r"(?<![\w.@-])@([A-Za-z0-9][A-Za-z0-9._-]*)")
_TRAILING = "._-"  # "see @server01." or "@web-" at the end of a sentence


def extract_mentions(*texts: Optional[str]) -> list[str]:
    """The `@hostname` names in these texts, without the "@", de-duplicated case-insensitively.

    Each name keeps the spelling of its first occurrence; order is the order of appearance.
    """
    seen: set[str] = set()
    names: list[str] = []
    for text in texts:
        for match in _MENTION.finditer(text or ""):
            name = match.group(1).rstrip(_TRAILING)
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    return names


def split_mentions(text: Optional[str]) -> list[tuple[str, Optional[str]]]:
    """The text cut into (plain text, None) and ("@name", name) pieces, in order, for display."""
    pieces: list[tuple[str, Optional[str]]] = []
    last = 0
    source = text or ""
    for match in _MENTION.finditer(source):
        name = match.group(1).rstrip(_TRAILING)
        pieces += [(source[last:match.start()], None), ("@" + name, name)]
        last = match.start(1) + len(name)
    pieces.append((source[last:], None))
    return [piece for piece in pieces if piece[0]]


def resolve_mentions(
    organisation_id: int, company_id: Optional[int], names: list[str]
) -> tuple[list[tuple[str, Device]], list[str]]:
    """Match names to the organisation's devices: (name, device) pairs, and the unresolved names.

    Case-insensitive; a device of the change's company wins over one elsewhere in the
    organisation, and an active device over an inactive one. Other organisations are never seen.
    """
    if not names:
        return [], []
    candidates = db.session.scalars(
        select(Device).where(
            Device.organisation_id == organisation_id,
            func.lower(Device.hostname).in_([name.lower() for name in names]),
        )
    ).all()

    def preference(device: Device) -> tuple:
        same_company = company_id is not None and device.company_id == company_id
        return (not same_company, not device.active, device.id)

    best: dict[str, Device] = {}
    for device in sorted(candidates, key=preference):
        best.setdefault(device.hostname.lower(), device)
    resolved = [(name, best[name.lower()]) for name in names if name.lower() in best]
    unresolved = [name for name in names if name.lower() not in best]
    return resolved, unresolved


def mentioned_names(change: Change) -> list[str]:
    return extract_mentions(*(getattr(change, field) for field in MENTION_FIELDS))


def sync_mentions(change: Change, actor: Optional[User]) -> None:
    """Make the change's device links match the `@hostname`s in its texts.

    Links newly mentioned devices and unlinks devices no longer mentioned (each with a timeline
    entry), and stores the names that match no device in `change.unresolved_mentions`.
    Flushes nothing itself beyond what it needs for a new change's id.
    """
    resolved, unresolved = resolve_mentions(
        change.organisation_id, change.company_id, mentioned_names(change)
    )
    if list(change.unresolved_mentions or []) != unresolved:
        change.unresolved_mentions = unresolved
    if change.id is None:
        db.session.add(change)
        db.session.flush()

    wanted = {device.id: (name, device) for name, device in resolved}
    for link in list(change.devices):
        if link.device_id in wanted:
            continue
        hostname = link.device.hostname
        change.devices.remove(link)
        db.session.delete(link)
        timeline.record(
            change, actor, "device_unlinked", f"Unlinked device {hostname}",
            device_id=link.device_id, hostname=hostname, mention=link.mention,
        )
    linked = {link.device_id for link in change.devices}
    for device_id, (name, device) in wanted.items():
        if device_id in linked:
            continue
        change.devices.append(
            ChangeDevice(
                organisation_id=change.organisation_id, device_id=device_id, device=device,
                mention=name[:120],
            )
        )
        timeline.record(
            change, actor, "device_linked", f"Linked device {device.hostname}",
            device_id=device_id, hostname=device.hostname, mention=name,
        )
