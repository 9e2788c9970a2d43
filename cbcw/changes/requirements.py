"""The approval policy (PRODUCT §2.8): which approvals a change needs, and why.

- standard: none (the template was approved; submit approves it);
- emergency: one approval from an ECAB member (`ecab`);
- normal: what the organisation's policy says for its risk (default low → technical, medium →
  technical and operational, high → technical, operational and the vCAB), plus what the
  requester asked for on the change: an approver they named decides too, and "Ask the vCAB"
  adds the vCAB. The policy is a floor, never a ceiling.

`Change.requires_vcab` is kept equal to "the vCAB decides" when a change is saved (or its risk
raised), so everything that reads it (the majority, ticket resources, the drift check) agrees.
"""
from dataclasses import dataclass

from cbcw.changes.labels import spoken_list
from cbcw.changes.models import Change
from cbcw.changes.risk import policy_row

POLICY_KINDS = ("technical", "operational", "vcab")
DEFAULT_APPROVALS = {"low": ["technical"], "medium": ["technical", "operational"],
                     "high": ["technical", "operational", "vcab"]}
WORDS = {"technical": "technical", "operational": "operational", "vcab": "the vCAB's",
         "ecab": "one ECAB member's"}


def policy_table(organisation_id: int) -> dict[str, list[str]]:
    """risk level → the approval kinds a normal change of that risk needs."""
    row = policy_row(organisation_id)
    stored = row.approvals if row else {}
    return {risk: [k for k in POLICY_KINDS if k in stored.get(risk, default)]
            for risk, default in DEFAULT_APPROVALS.items()}


def policy_kinds(organisation_id: int, change_type: str, risk: str) -> tuple[str, ...]:
    """The approvals the policy alone asks of a change of this type and risk."""
    if change_type == "standard":
        return ()
    if change_type == "emergency":
        return ("ecab",)
    return tuple(policy_table(organisation_id).get(risk, DEFAULT_APPROVALS["high"]))


def vcab_needed(organisation_id: int, change_type: str, risk: str, asked: bool) -> bool:
    """Whether the vCAB decides: the policy says so, or the requester asked (normal changes only)."""
    return change_type == "normal" and (asked or "vcab" in policy_kinds(organisation_id, change_type, risk))


@dataclass(frozen=True)
class Requirement:
    kinds: tuple[str, ...]  # in APPROVAL_KINDS order
    by_policy: tuple[str, ...]
    sentence: str  # "This change needs … because …"


def requirement(organisation_id: int, change_type: str, risk: str, requires_vcab: bool = False,
                technical_named: bool = False, operational_named: bool = False) -> Requirement:
    """What a change with these values needs, and the sentence the form and the page show."""
    by_policy = policy_kinds(organisation_id, change_type, risk)
    kinds = list(by_policy)
    if change_type == "normal":
        for kind, asked in (("technical", technical_named), ("operational", operational_named),
                            ("vcab", requires_vcab)):
            if asked and kind not in kinds:
                kinds.append(kind)
    kinds = [k for k in (*POLICY_KINDS, "ecab") if k in kinds]
    return Requirement(tuple(kinds), by_policy, _sentence(change_type, risk, kinds, by_policy))


def _sentence(change_type: str, risk: str, kinds: list[str], by_policy: tuple[str, ...]) -> str:
    if change_type == "standard":
        return ("This change needs no approval round because it is a standard change from an "
                "approved template: submitting it approves it.")
    if change_type == "emergency":
        return ("This change needs one ECAB member's approval because it is an emergency change; "
                "a post-implementation review follows once it is completed or failed.")
    if not kinds:
        return (f"This change needs no approval because your organisation's policy asks none for "
                f"normal {risk}-risk changes: submitting it approves it.")
    extra = [k for k in kinds if k not in by_policy]
    reason = f"your organisation's policy asks {_words(by_policy) or 'nothing'} for normal {risk}-risk changes"
    if extra:
        reason += f", and the change asks for {_words(extra)} approval too"
    return f"This change needs {_words(kinds)} approval because {reason}."


def _words(kinds) -> str:
    return spoken_list([WORDS[k] for k in kinds]) if kinds else ""


def of_change(change: Change) -> Requirement:
    """What this change needs now (its vCAB flag already includes the policy's)."""
    asked_vcab = change.requires_vcab and "vcab" not in policy_kinds(
        change.organisation_id, change.change_type, change.risk)
    return requirement(change.organisation_id, change.change_type, change.risk, asked_vcab,
                       change.technical_approver_id is not None, change.operational_approver_id is not None)
