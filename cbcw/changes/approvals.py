"""Read model of a change's approval round: who decided what, the vCAB majority, who is awaited.

Operations use it to know when a round is complete; the detail page shows it. Whose vCAB vote
counts is the policy's rule (`policy.counts_toward_majority`): the majority is taken over the
active vCAB members whose votes count. Which approvals the round needs is the approval policy's
(`requirements.of_change`): a named approver decides, an emergency change needs one ECAB yes.
"""
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes import policy, requirements
from cbcw.changes.models import Approval, Change
from cbcw.extensions import db


def _active_members(organisation_id: int, board) -> list[User]:
    """The organisation's active users with this board flag who can act (viewers cannot approve)."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                board.is_(True),
                User.active.is_(True),
                User.role != "viewer",
            )
            .order_by(User.display_name, User.id)
        )
    )


def active_vcab_members(organisation_id: int) -> list[User]:
    """The organisation's active vCAB members who can act."""
    return _active_members(organisation_id, User.vcab_member)


def active_ecab_members(organisation_id: int) -> list[User]:
    """The organisation's active emergency approvers (ECAB) who can act."""
    return _active_members(organisation_id, User.ecab_member)


def vcab_board_too_small(change: Change) -> bool:
    """PRODUCT §2.8: the members eligible to vote on the change (not its requester, not its
    approvers, not a delegate who decided for one) are fewer than half of the active board, so
    naming approvers (or delegates) from the vCAB would leave a rubber stamp."""
    board = active_vcab_members(change.organisation_id)
    eligible = [m for m in board if policy.counts_toward_majority(change, m.id)]
    return not eligible or 2 * len(eligible) < len(board)


def vcab_voters(change: Change) -> list[User]:
    """The active vCAB members whose votes on this change count toward its majority."""
    return [
        member for member in active_vcab_members(change.organisation_id)
        if policy.counts_toward_majority(change, member.id)
    ]


@dataclass(frozen=True)
class ApprovalStatus:
    """Where the current approval round stands, for the change detail page."""

    technical: Optional[Approval]
    operational: Optional[Approval]
    needed: tuple[str, ...] = ()  # the approval kinds this round needs
    sentence: str = ""  # "This change needs … because …"
    ecab: Optional[Approval] = None  # the emergency approval
    vcab_approvals: list[Approval] = field(default_factory=list)
    vcab_members: list[User] = field(default_factory=list)  # those whose votes count
    vcab_needed: int = 0
    vcab_yes: int = 0
    fully_approved: bool = False
    waiting_on: list[tuple[str, User]] = field(default_factory=list)
    # The decision that sent this draft back: shown on the overview until it is resubmitted.
    rejection: Optional[Approval] = None

    def counts(self, approval: Approval) -> bool:
        """Whether this vCAB decision counts toward the majority."""
        return any(member.id == approval.approver_id for member in self.vcab_members)


def approval_status(change: Change) -> ApprovalStatus:
    """The current round's decisions, the vCAB majority needed and who is still to decide."""
    current = change.current_decisions
    requirement = requirements.of_change(change)
    needed = requirement.kinds

    def decision(kind: str, approver_id: Optional[int]) -> Optional[Approval]:
        return next(
            (a for a in current if a.kind == kind and a.approver_id == approver_id), None
        )

    def done(approval: Optional[Approval]) -> bool:
        return bool(approval and approval.decision == "approved")

    technical = decision("technical", change.technical_approver_id)
    operational = decision("operational", change.operational_approver_id)
    members = vcab_voters(change) if change.requires_vcab else []
    member_ids = {m.id for m in members}
    vcab_approvals = [a for a in current if a.kind == "vcab"]
    vcab_needed = len(members) // 2 + 1 if change.requires_vcab else 0
    vcab_yes = sum(
        1 for a in vcab_approvals if a.decision == "approved" and a.approver_id in member_ids
    )
    vcab_done = not change.requires_vcab or vcab_yes >= vcab_needed
    ecab = next((a for a in current if a.kind == "ecab"), None)
    fully_approved = (
        ("technical" not in needed or done(technical))
        and ("operational" not in needed or done(operational))
        and vcab_done
        and ("ecab" not in needed or done(ecab))
    )
    waiting_on: list[tuple[str, User]] = []
    if change.state == "pending_approval":
        if "technical" in needed and technical is None and change.technical_approver is not None:
            waiting_on.append(("technical", change.technical_approver))
        if "operational" in needed and operational is None and change.operational_approver is not None:
            waiting_on.append(("operational", change.operational_approver))
        if not vcab_done:
            decided = {a.approver_id for a in vcab_approvals}
            waiting_on += [("vcab", m) for m in members if m.id not in decided]
        if "ecab" in needed and ecab is None:
            waiting_on += [("ecab", m) for m in active_ecab_members(change.organisation_id)
                           if m.id != change.created_by_id]
    return ApprovalStatus(
        rejection=last_rejection(change),
        technical=technical,
        operational=operational,
        needed=needed,
        sentence=requirement.sentence,
        ecab=ecab,
        vcab_approvals=vcab_approvals,
        vcab_members=members,
        vcab_needed=vcab_needed,
        vcab_yes=vcab_yes,
        fully_approved=fully_approved,
        waiting_on=waiting_on,
    )


def completes_round(change: Change, kind: str) -> bool:
    """Whether one more yes as `kind` (from someone whose vote counts) would fully approve the
    change: what a preview of the approval's effects needs to know."""
    status = approval_status(change)
    approved = {k for k, a in (("technical", status.technical), ("operational", status.operational),
                               ("ecab", status.ecab)) if a and a.decision == "approved"}
    approved.add(kind)
    vcab = not change.requires_vcab or status.vcab_yes + (kind == "vcab") >= status.vcab_needed
    return vcab and all(k in approved for k in status.needed if k != "vcab")


def last_rejection(change: Change) -> Optional[Approval]:
    """The rejection that ended the last round, while the change is a draft again.

    A rejection sends the change back to draft and starts the next round, so a draft whose
    previous round holds a rejection has not been resubmitted since. Reads the approvals the
    detail page already loaded (no extra statement).
    """
    if change.state != "draft" or change.approval_round <= 1:
        return None
    rejections = [a for a in change.approvals
                  if a.round == change.approval_round - 1 and a.decision == "rejected"]
    return max(rejections, key=lambda a: (a.decided_at, a.id), default=None)
