"""The database itself refuses states the code never writes (CHECK constraints, unique indexes)."""
import pytest
from sqlalchemy.exc import IntegrityError

from cbcw.organisations.models import Company


@pytest.fixture
def refused(db):
    """Assert that flushing the session's pending writes is refused by the database."""

    def check():
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()

    return check


@pytest.mark.parametrize("attribute, value", [
    ("state", "approved-ish"), ("state", "DRAFT"), ("risk", "extreme"),
])
def test_a_change_with_an_unknown_value_is_refused(make_change, refused, attribute, value):
    """A change's state and risk must be one of the model's values."""
    change = make_change()
    setattr(change, attribute, value)
    refused()


def test_a_user_with_an_unknown_role_is_refused(make_user, refused):
    """A user's role must be one of ROLES."""
    make_user("engineer").role = "superuser"
    refused()


def test_a_company_name_differing_only_in_case_is_refused(db, org, company, refused):
    """"ACME manufacturing" is the same company as "Acme Manufacturing" in one organisation."""
    db.session.add(Company(organisation_id=org.id, name=company.name.swapcase()))
    refused()


def test_the_same_company_name_in_another_organisation_is_allowed(db, make_org, company):
    """Uniqueness is per organisation: another MSP may have its own "Acme Manufacturing"."""
    db.session.add(Company(organisation_id=make_org().id, name=company.name.upper()))
    db.session.flush()
