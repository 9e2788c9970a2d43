from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, utcnow
from cbcw.devices.hostnames import normalise_hostname
from cbcw.extensions import db


class DeviceType(db.Model):
    __tablename__ = "device_types"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))

    def __str__(self) -> str:
        return self.name


class Device(db.Model):
    """A server, switch, workstation… that changes reference with @hostname."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("organisation_id", "external_source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id"), index=True)
    device_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("device_types.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(120), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    # Where a synced device came from (e.g. "connectwise" and the configuration id).
    external_source: Mapped[Optional[str]] = mapped_column(String(32))
    external_id: Mapped[Optional[str]] = mapped_column(String(64))
    # The source's own name and type for the record, e.g. the configuration's name "SRV 01" that
    # became hostname "srv-01" (or "srv-01-2" when another device of the company had that name).
    external_name: Mapped[Optional[str]] = mapped_column(String(200))
    external_type_id: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    company = relationship("Company")
    device_type = relationship("DeviceType")

    @property
    def renamed_from_source(self) -> bool:
        """The hostname is not the source's name made mentionable: another device of the company had it."""
        return bool(self.external_name) and self.hostname != normalise_hostname(self.external_name, self.hostname)

    def __str__(self) -> str:
        return self.hostname


# @hostname mentions look devices up as `organisation_id = ? AND lower(hostname) IN (…)`.
Index("ix_devices_organisation_id_lower_hostname", Device.organisation_id, func.lower(Device.hostname))
