"""Companies and users of an organisation; every rule that protects the organisation's access."""
import secrets

from flask import current_app, render_template_string
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbcw.accounts import email_changes, invitations
from cbcw.accounts.models import User
from cbcw.extensions import db
from cbcw.mail import outbox
from cbcw.main.links import absolute_for
from cbcw.organisations.models import COMPANY_NAME_UNIQUE, Company


class SettingsError(Exception):
    """A refused settings change; the message is shown next to the form."""


def save_company(organisation_id: int, data: dict, company: Company | None = None) -> Company:
    """Create or update a company of the organisation.

    The database's unique index decides whether the name is taken (ignoring case), so two admins
    saving "Acme" and "ACME" at the same moment cannot both succeed. On SettingsError the caller
    rolls the session back, as after every refusal."""
    name = data["name"].strip()
    company = company or Company(organisation_id=organisation_id)
    company.name = name
    company.active = data["active"]
    db.session.add(company)
    try:
        db.session.flush()
    except IntegrityError as error:
        if COMPANY_NAME_UNIQUE.name not in str(error.orig):
            raise
        raise SettingsError(
            f"A company named “{name}” already exists (names are compared ignoring case)."
        ) from None
    return company


GUARDED = ("email", "password", "role", "vcab_member", "ecab_member")
BOARDS = ("vcab_member", "ecab_member")


def locked_fields(actor: User, user: User | None) -> set[str]:
    """The user-form fields `actor` may not change on `user` (None: a new user).

    Only an admin names emergency approvers (PRODUCT §2.7); nobody changes their own board
    membership; and only an admin touches the email, password, role or boards of an admin or an
    ECAB member, so an MSP user cannot take over an account that outranks their own."""
    locked = set() if actor.role == "admin" else {"ecab_member"}
    if user is not None and user.id == actor.id:
        locked |= set(BOARDS)
    if user is not None and actor.role != "admin" and (user.role == "admin" or user.ecab_member):
        locked |= set(GUARDED)
    return locked


def _changed(name: str, value, user: User | None) -> bool:
    if name == "password":
        return bool(value)
    current = getattr(user, name) if user is not None else None
    if name == "email":
        return User.normalise_email(value or "") != current
    if name in BOARDS:
        return bool(value) != bool(current)
    return value != current


def _refuse_locked_changes(actor: User, data: dict, user: User | None) -> None:
    """Refuse a submitted change to a locked field (the form leaves them out; a crafted post may not)."""
    for name in sorted(locked_fields(actor, user) & data.keys()):
        if not _changed(name, data[name], user):
            continue
        if user is not None and user.id == actor.id and name in BOARDS:
            raise SettingsError("You cannot change your own board membership; ask an admin.")
        raise SettingsError("Only an admin names ECAB members or changes the email, password, role or "
                            "boards of an admin or an ECAB member.")


def save_user(actor: User, data: dict, user: User) -> User:
    """Update a user of the actor's organisation (new people are invited: `invite_user`). A field
    the actor may not change (`locked_fields`) keeps its value when the form leaves it out and is
    refused when it differs. A new address awaits confirmation (`_ask_to_confirm`); only one the
    actor's own organisation uses is refused, by name."""
    _refuse_locked_changes(actor, data, user)
    data = {**{name: getattr(user, name) for name in GUARDED if name != "password"}, **data}
    email = User.normalise_email(data["email"])
    moved = email != user.email
    taken = db.session.scalar(select(User).where(User.email == email)) if moved else None
    if moved and ((taken is not None and taken.organisation_id == actor.organisation_id)
                  or invitations.without_user(actor.organisation_id, email)):  # listed as a user: the same answer
        raise SettingsError("Another user of your organisation already uses this email address.")
    if "admin" in (data["role"], user.role) and actor.role != "admin":
        raise SettingsError("Only an admin can grant or change the admin role.")
    if user.id == actor.id and (data["role"] != actor.role or not data["active"]):
        raise SettingsError("You cannot change your own role or deactivate yourself.")
    if user.id == actor.id and data.get("password"):
        raise SettingsError("Change your own password on your profile page.")
    user.display_name = data["display_name"].strip()
    user.role = data["role"]
    user.timezone = data["timezone"]
    user.vcab_member = bool(data.get("vcab_member"))
    user.ecab_member = bool(data.get("ecab_member"))
    if user.active and not data["active"]:
        user.end_sessions()  # a deactivated user is logged out everywhere
    user.active = data["active"]
    if data.get("password"):
        # Set by someone else, so temporary: the user chooses their own at next login.
        user.set_password(data["password"], temporary=True)
    if moved:
        _ask_to_confirm(actor, user, email, send=taken is None)
    db.session.flush()
    return user


def _ask_to_confirm(actor: User, user: User, email: str, send: bool) -> None:
    """A new address takes effect once confirmed from the link sent to it (`email_changes`). An
    address another organisation uses is recorded alike but sent nothing, so the answer and the
    user form say the same whether or not it exists elsewhere."""
    token = email_changes.request(user, email, actor.id)
    if not send:
        return
    link = absolute_for("accounts.confirm_email", token=token)
    days = invitations.VALID_FOR.days
    outbox.enqueue(
        actor.organisation_id, email, "Confirm your new ChangeBreeze address",
        f"Hello {user.display_name},\n\n{actor.display_name} made this the address of your ChangeBreeze account.\n"
        f"Sign in with your current address and confirm it here (the link works once, for {days} days):\n"
        f"{link}\n",
        render_template_string(CONFIRMATION_HTML, user=user, actor=actor, link=link, days=days),
    )


def invite_user(actor: User, data: dict) -> None:
    """Invite a person by e-mail (PRODUCT §2.9): a user without a usable password and a one-time
    link to choose one. The caller commits and always answers "invitation sent": an address that
    belongs to another organisation gets an invitation row without a user or mail, listed as
    invited all the same, so neither the answer nor the users list tells anything about other
    organisations' users. Only the actor's own organisation's users are named."""
    email = User.normalise_email(data["email"])
    if data["role"] == "admin" and actor.role != "admin":
        raise SettingsError("Only an admin can grant or change the admin role.")
    taken = db.session.scalar(select(User).where(User.email == email))
    if taken is not None and taken.organisation_id == actor.organisation_id:
        raise SettingsError(f"{taken.display_name} already has an account with this address.")
    for listed in invitations.without_user(actor.organisation_id, email):  # shown as a user: the same answer
        raise SettingsError(f"{listed.display_name} already has an account with this address.")
    if taken is not None:
        invitations.record_without_user(actor.organisation_id, actor.id, data, email)
        return
    user = User(organisation_id=actor.organisation_id, email=email, display_name=data["display_name"].strip(),
                role=data["role"], timezone=data["timezone"], vcab_member=data["vcab_member"], active=True,
                # only an admin names emergency approvers (PRODUCT §2.7)
                ecab_member=actor.role == "admin" and bool(data.get("ecab_member")))
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it: the link sets the real one
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # invited by another organisation a moment ago: the same silence
        invitations.record_without_user(actor.organisation_id, actor.id, data, email)
        return
    token = invitations.issue(user, actor.id)
    link = current_app.config["APP_BASE_URL"].rstrip("/") + f"/invitation/{token}"
    days = invitations.VALID_FOR.days
    outbox.enqueue(
        actor.organisation_id, email, f"{actor.display_name} invites you to ChangeBreeze",
        f"Hello {user.display_name},\n\n{actor.display_name} invites you to ChangeBreeze.\n"
        f"Choose your password here (the link works once, for {days} days):\n{link}\n",
        render_template_string(INVITATION_HTML, user=user, actor=actor, link=link, days=days),
    )


CONFIRMATION_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm your address</title></head>
<body><p>Hello {{ user.display_name }},</p><p>{{ actor.display_name }} made this the address of your ChangeBreeze account.</p>
<p>Sign in with your current address and <a href="{{ link }}">confirm it</a> (the link works once, for
{{ days }} days).</p></body></html>"""

INVITATION_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Invitation</title></head>
<body><p>Hello {{ user.display_name }},</p><p>{{ actor.display_name }} invites you to ChangeBreeze.</p>
<p><a href="{{ link }}">Choose your password</a> (the link works once, for {{ days }} days).</p></body></html>"""
