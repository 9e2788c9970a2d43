"""The one way to query tenant data: everything is scoped to the current user's organisation.

A row of another organisation is indistinguishable from a missing one (404, never 403).
"""
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from cbcw.extensions import db

M = TypeVar("M")


def current_org_id() -> int:
    return current_user.organisation_id


def scoped(model: type[M], organisation_id: int | None = None) -> Select:
    """`select(model)` limited to one organisation (the current user's by default)."""
    org_id = organisation_id if organisation_id is not None else current_org_id()
    return select(model).where(model.organisation_id == org_id)


def get_or_404(model: type[M], object_id: int, organisation_id: int | None = None) -> M:
    """The row with this id in the organisation, or a 404."""
    obj = db.session.scalar(scoped(model, organisation_id).where(model.id == object_id))
    if obj is None:
        abort(404)
    return obj
