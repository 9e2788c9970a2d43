from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from cbcw.db import UTCDateTime, utcnow
from cbcw.extensions import db


class Organisation(db.Model):
    """One MSP: the tenant every other row belongs to."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Last change number handed out; incremented in the same transaction as the insert.
    change_counter: Mapped[int] = mapped_column(default=0)
    # "Small team": requesters may approve their own changes (each such approval is marked).
    allow_self_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Company(db.Model):
    """One of the MSP's client companies."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name


# Names are unique ignoring case within an organisation ("Acme" and "ACME" are one company).
COMPANY_NAME_UNIQUE = Index(
    "uq_companies_organisation_id_lower_name", Company.organisation_id, func.lower(Company.name), unique=True
)
