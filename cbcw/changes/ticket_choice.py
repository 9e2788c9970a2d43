"""The linked-ticket choice as a form posts it, whatever integration drew the picker.

The picker (e.g. ConnectWise's typeahead) posts the chosen ticket's id and summary in hidden
fields, and what was typed in its search box. Without JavaScript nothing can be picked, so a
typed ticket number counts as the choice; any other leftover text is refused rather than
silently ignored.
"""
from typing import Optional

from wtforms import HiddenField, IntegerField, SearchField
from wtforms.validators import Length, NumberRange, ValidationError
from wtforms.validators import Optional as OptionalValue
from wtforms.widgets import HiddenInput

from cbcw.changes.fields import LinkedTicket
from cbcw.changes.models import Change

MAX_TICKET_ID = 2**63 - 1


def _typed_number(text: Optional[str]) -> Optional[int]:
    """A typed ticket number ("#123"): ASCII digits only, since str.isdigit() also accepts
    superscripts and circled digits that int() refuses, and other scripts' digits."""
    digits = (text or "").strip().lstrip("#").strip()
    if not (digits.isascii() and digits.isdigit() and 0 < len(digits) <= 18):
        return None
    return int(digits) or None


class TicketChoiceMixin:
    """Adds the three fields to a FlaskForm; `chosen_ticket_id()` reads them."""

    linked_ticket_id = IntegerField(widget=HiddenInput(), validators=[
        OptionalValue(), NumberRange(min=1, max=MAX_TICKET_ID, message="Not a ticket number.")])
    linked_ticket_label = HiddenField(validators=[Length(max=200)])
    linked_ticket_query = SearchField("Ticket", validators=[Length(max=100)])

    def validate_linked_ticket_query(self, field) -> None:
        if (field.data or "").strip() and not self.linked_ticket_id.data and _typed_number(field.data) is None:
            raise ValidationError("Pick a ticket from the suggestions, or type its number.")

    def chosen_ticket_id(self) -> Optional[int]:
        """The ticket to link (None: no ticket)."""
        return self.linked_ticket_id.data or _typed_number(self.linked_ticket_query.data)

    def chosen_ticket(self, change: Optional[Change]) -> Optional[LinkedTicket]:
        """What the picker shows as chosen: what was posted, or else the change's ticket."""
        if self.is_submitted():
            chosen = self.chosen_ticket_id()
            return LinkedTicket(chosen, (self.linked_ticket_label.data or "").strip() or None) if chosen else None
        if change is None or change.linked_ticket_id is None:
            return None
        return LinkedTicket(change.linked_ticket_id, change.linked_ticket_summary, change.linked_ticket_board,
                            change.linked_ticket_status)

    def ticket_error(self) -> Optional[str]:
        errors = [*self.linked_ticket_id.errors, *self.linked_ticket_query.errors]
        return " ".join(errors) or None
