"""Hostnames unique within a company for synced configurations.

When another device of the same company already has a configuration's hostname, the
configuration gets the first free "-2", "-3", … suffix; the device keeps it until the
configuration is renamed, so a later sync never reshuffles names that changes already mention.
"""
from __future__ import annotations

from sqlalchemy import func, select

from cbcw.devices.hostnames import MAX_LENGTH
from cbcw.devices.models import Device
from cbcw.extensions import db


class HostnameBook:
    """Which hostnames each company's devices hold, read from the database for one page's
    wanted names and kept up to date as the page assigns them."""

    def __init__(self, organisation_id: int, wanted: set[str]):
        self.organisation_id = organisation_id
        self.holders: dict[tuple[int | None, str], int | None] = {}
        self._load(func.lower(Device.hostname).in_(sorted(wanted)) if wanted else None)

    def _load(self, condition) -> None:
        if condition is None:
            return
        rows = db.session.execute(
            select(Device.id, Device.company_id, func.lower(Device.hostname))
            .where(Device.organisation_id == self.organisation_id, condition)
        )
        for device_id, company_id, hostname in rows:
            self.holders.setdefault((company_id, hostname), device_id)

    def claim(self, company_id: int | None, wanted: str, device_id: int | None) -> str:
        """`wanted`, or the first free `wanted-N` in the company, now held by `device_id`
        (None for a device not yet flushed)."""
        candidate, n = wanted, 1
        if self._taken(company_id, candidate, device_id):
            prefix = wanted + "-"
            self._load(func.substr(func.lower(Device.hostname), 1, len(prefix)) == prefix)
            while self._taken(company_id, candidate, device_id):
                n += 1
                suffix = f"-{n}"
                candidate = wanted[:MAX_LENGTH - len(suffix)] + suffix
        self.holders[(company_id, candidate)] = device_id
        return candidate

    def release(self, company_id: int | None, hostname: str) -> None:
        self.holders.pop((company_id, hostname.lower()), None)

    def _taken(self, company_id, hostname, device_id) -> bool:
        key = (company_id, hostname)
        return key in self.holders and (device_id is None or self.holders[key] != device_id)

