from datetime import datetime
from typing import Optional

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cbcw.db import UTCDateTime
from cbcw.extensions import db


class JobLease(db.Model):
    """Who may run a scheduled job until when, shared by every scheduler process through the database.

    A run holds the lease for most of the job's period, so a second scheduler started by mistake
    (or one per host) finds it taken and skips that run: each job runs once per schedule.
    """

    __tablename__ = "job_leases"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), default="")
    leased_until: Mapped[datetime] = mapped_column(UTCDateTime)
    last_started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
