"""The words the change pages, messages and timeline use for the domain's codes: one table each."""

STATE_LABELS = {
    "draft": "Draft",
    "pending_approval": "Pending approval",
    "approved": "Approved",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Cancelled",
}

# The role an approval kind is given in ("Approve as technical approver").
KIND_LABELS = {
    "technical": "technical approver",
    "operational": "operational approver",
    "vcab": "vCAB member",
    "ecab": "ECAB member",
}
# Who holds that role, for refusals ("Only the technical approver can …").
KIND_HOLDERS = {
    "technical": "the technical approver",
    "operational": "the operational approver",
    "vcab": "vCAB members",
    "ecab": "ECAB members (emergency approvers)",
}
APPROVAL_TITLES = {
    "technical": "Technical approval",
    "operational": "Operational approval",
    "vcab": "vCAB approval",
    "ecab": "Emergency approval (ECAB)",
}
TYPE_LABELS = {"normal": "Normal", "standard": "Standard", "emergency": "Emergency"}

# Field names as the "Updated …" timeline entry and refusals name them.
FIELD_LABELS = {
    "title": "title", "company_id": "company", "description": "description", "reason": "reason",
    "risk": "risk", "impact": "impact", "implementation_plan": "implementation plan",
    "rollback_plan": "rollback plan", "test_plan": "test plan",
    "technical_approver_id": "technical approver", "operational_approver_id": "operational approver",
    "implementer_id": "implementer", "requires_vcab": "vCAB requirement",
    "window_start": "window start", "window_end": "window end",
    "change_type": "type", "template_version_id": "template", "risk_answers": "risk answers",
}


def spoken_list(items: list[str], conjunction: str = "and") -> str:
    """"a, b and c" (or "a, b or c") for messages."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def reference_of(number: int) -> str:
    """How a change number is shown ("CHG-000012"), also where only the number was read."""
    return f"CHG-{number:06d}"


class Named:
    """A change's reference and state in words, for anything with its `number` and `state`: the
    model, and the calendar's lighter rows."""

    number: int
    state: str

    @property
    def reference(self) -> str:
        return reference_of(self.number)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]
