"""Match users to ConnectWise members (PRODUCT §3.10): automatic by email, or picked by hand."""
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.extensions import db


def member_name(member: dict) -> str:
    name = f"{member.get('firstName', '')} {member.get('lastName', '')}".strip()
    return f"{name} ({member.get('identifier', '')})" if name else member.get("identifier", "")


def match_rows(organisation_id: int) -> list[tuple[User, MemberMatch | None]]:
    users = db.session.scalars(
        select(User).where(User.organisation_id == organisation_id).order_by(User.display_name)
    ).all()
    matches = {m.user_id: m for m in db.session.scalars(
        select(MemberMatch).where(MemberMatch.organisation_id == organisation_id))}
    return [(user, matches.get(user.id)) for user in users]


def matched_elsewhere(user: User) -> dict[int, str]:
    """{ConnectWise member id: display name} of the members already matched to other users."""
    rows = db.session.execute(
        select(MemberMatch.cw_member_id, User.display_name).join(User, User.id == MemberMatch.user_id)
        .where(MemberMatch.organisation_id == user.organisation_id, MemberMatch.user_id != user.id,
               MemberMatch.cw_member_id.is_not(None)))
    return {member_id: name for member_id, name in rows}


def refresh_matches(organisation_id: int, client: ConnectWiseClient) -> dict[str, int]:
    """Re-match every active user by email in one ConnectWise request; hand-picked matches stay.

    A member is matched to one user at most (PRODUCT §3.6, §3.10), so nobody can log time as
    someone else: a member already picked by hand for another user, or found first for another
    user (in the list's order), leaves this user without a match.
    """
    rows = match_rows(organisation_id)
    taken = {match.cw_member_id for _, match in rows
             if match is not None and match.method == "manual" and match.cw_member_id}
    rows = [(user, match) for user, match in rows if user.active]
    found = client.find_members_by_emails(user.email for user, _ in rows)
    counts = {"matched": 0, "unmatched": 0, "manual": 0}
    for user, match in rows:
        if match is not None and match.method == "manual":
            counts["manual"] += 1
            continue
        member = found.get(user.email.lower())
        if member is not None and member.get("id") in taken:
            member = None
        _store(organisation_id, user, match, member, method="auto")
        db.session.flush()  # one member, one user: free a member before another user takes it
        if member is not None:
            taken.add(member.get("id"))
        counts["matched" if member is not None else "unmatched"] += 1
    return counts


def pick_member(user: User, member: dict | None) -> MemberMatch:
    """An admin's choice for a user; None clears it back to "no match". A member matched to
    another user moves to this one (the other user is left without a match)."""
    if member is not None:
        for other in db.session.scalars(select(MemberMatch).where(
                MemberMatch.organisation_id == user.organisation_id, MemberMatch.user_id != user.id,
                MemberMatch.cw_member_id == member["id"])):
            _store(user.organisation_id, other.user, other, None, method="manual")
        db.session.flush()
    match = db.session.scalar(select(MemberMatch).where(MemberMatch.user_id == user.id))
    return _store(user.organisation_id, user, match, member, method="manual")


def _store(organisation_id, user, match, member, method) -> MemberMatch:
    match = match or MemberMatch(organisation_id=organisation_id, user_id=user.id)
    match.cw_member_id = member["id"] if member else None
    match.cw_member_identifier = member.get("identifier") if member else None
    match.cw_member_name = member_name(member) if member else None
    match.method = method if member else "none"
    db.session.add(match)
    return match
