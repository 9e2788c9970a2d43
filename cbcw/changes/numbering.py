"""Per-organisation change numbers (CHG-000123), handed out without gaps or duplicates."""
from sqlalchemy import update

from cbcw.extensions import db
from cbcw.organisations.models import Organisation


def next_change_number(organisation_id: int) -> int:
    """Increment the organisation's counter and return the new value, in the caller's transaction.

    A single `UPDATE … SET change_counter = change_counter + 1 … RETURNING` row-locks the
    organisation until commit, so two concurrent creations can never get the same number.
    """
    return db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(change_counter=Organisation.change_counter + 1)
        .returning(Organisation.change_counter)
    ).scalar_one()
