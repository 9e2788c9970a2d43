"""A change made from a template shows its edits as a difference from the template (PRODUCT §2.7):
per field, the changed lines with one line of context, as difflib finds them. Fields are compared
as submit compares a standard change's plans (`catalogue.normalised`): line endings and surrounding
whitespace are no edit. The lines are text: the page escapes them like any other."""
import difflib
from dataclasses import dataclass

from cbcw.changes.catalogue import PREFILLED, normalised, prefill
from cbcw.changes.labels import FIELD_LABELS
from cbcw.changes.models import Change


@dataclass(frozen=True)
class FieldDifference:
    label: str
    lines: list[tuple[str, str]]  # (kind, text): kind "added", "removed", "same" or "gap"


_KINDS = {"+": "added", "-": "removed", " ": "same", "@": "gap"}


def from_template(change: Change) -> list[FieldDifference]:
    """The fields the change wrote differently from its template version (none: no template)."""
    version = change.template_version
    if version is None:
        return []
    original = prefill(version, standard=True)
    found = []
    for name in PREFILLED:
        before, after = normalised(original[name]).splitlines(), normalised(getattr(change, name)).splitlines()
        if before == after:
            continue
        diff = list(difflib.unified_diff(before, after, lineterm="", n=1))[2:]  # no file headers
        lines = [(_KINDS[line[:1]], "…" if line.startswith("@@") else line[1:]) for line in diff]
        found.append(FieldDifference(FIELD_LABELS[name].capitalize(), lines))
    return found
