"""One page of ConnectWise configurations applied to an organisation's devices.

A device is matched by its configuration id (`external_source="connectwise"`, `external_id`),
so a renamed configuration updates its device instead of adding a second one. A configuration
new to ChangeBreeze first adopts a hand-made device of the same company with the same
hostname (so changes that mention it keep their link); otherwise it becomes a new device.
Nothing here commits: the runner commits each page as one transaction.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from cbcw.connectwise.sync.hostname_book import HostnameBook
from cbcw.devices.hostnames import normalise_hostname
from cbcw.devices.models import Device
from cbcw.extensions import db

SOURCE = "connectwise"
MAX_RENAMED_SHOWN = 50
ID_CHUNK = 500  # bound parameters per IN list, well inside every database's limit
# attribute key -> how to read it from a configuration (REFERENCE §10)
SYNCED_ATTRIBUTES = {
    "serial": lambda c: c.get("serialNumber"),
    "model": lambda c: c.get("modelNumber"),
    "tag": lambda c: c.get("tagNumber"),
    "ip": lambda c: c.get("ipAddress"),
    "os": lambda c: " ".join(str(p) for p in (c.get("osType"), c.get("osInfo")) if p),
    "manufacturer": lambda c: _reference_name(c.get("manufacturer")),
    "status": lambda c: _reference_name(c.get("status")),
}


@dataclass(frozen=True)
class Scope:
    """What an organisation imports: mapped ConnectWise type → device type, CW company → company."""

    organisation_id: int
    device_types: dict[int, int]
    companies: dict[int, int]


@dataclass
class Tally:
    """The counts of one run so far, and the configuration ids it has seen (for deactivation)."""

    counts: Counter = field(default_factory=Counter)
    skip_reasons: Counter = field(default_factory=Counter)
    renamed: list[dict] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def skip(self, reason: str, count: int = 1) -> None:
        self.counts["skipped"] += count
        self.skip_reasons[reason[:200]] += count


def apply_page(scope: Scope, configurations: list, tally: Tally, now: datetime) -> None:
    """Create, update or deactivate the devices of one page of configurations, counting each.

    Rows are read and written in bulk (one SELECT per kind, one INSERT and one UPDATE per
    page) so that writing a page takes less time than fetching the next one.
    """
    wanted: list[tuple[dict, int, int, str]] = []  # (configuration, company id, device type id, hostname)
    for configuration in configurations:
        checked = _check(configuration, scope, tally)
        if checked:
            wanted.append(checked)
    if not wanted:
        return
    hostnames = {hostname for *_, hostname in wanted}
    existing = _synced_devices(scope.organisation_id, [str(c["id"]) for c, *_ in wanted])
    book = HostnameBook(scope.organisation_id, hostnames)
    adoptable = _unsynced_devices(scope.organisation_id, hostnames)
    inserts, updates = [], []
    for configuration, company_id, device_type_id, hostname in wanted:
        tally.seen.add(configuration["id"])
        row = existing.get(str(configuration["id"]))
        if row is None and not configuration.get("activeFlag", True):
            tally.skip("inactive in ConnectWise (not imported)")
            continue
        if row is None:
            row = adoptable.pop((company_id, hostname), None)
            kind = "created" if row is None else "adopted"
        else:
            kind = "existing"
        values = _values(row, configuration, company_id, device_type_id)
        if kind != "existing" or values["external_name"] != row["external_name"] or company_id != row["company_id"]:
            if row is not None:
                book.release(row["company_id"], row["hostname"])
            values["hostname"] = _claim(book, company_id, hostname, row and row["id"], configuration, tally)
        else:
            values["hostname"] = row["hostname"]
        if kind == "created":
            inserts.append({**values, "organisation_id": scope.organisation_id, "created_at": now, "updated_at": now})
            tally.counts["created"] += 1
        elif kind == "adopted" or any(values[k] != row[k] for k in values):
            updates.append({**values, "id": row["id"], "updated_at": now})
            tally.counts["deactivated" if row["active"] and not values["active"] and kind == "existing"
                         else "updated"] += 1
        else:
            tally.counts["unchanged"] += 1
    # Core executemany: the ORM's bulk paths cost several times more per row.
    if inserts:
        db.session.execute(_TABLE.insert(), inserts)
    if updates:
        db.session.execute(_TABLE.update().where(_TABLE.c.id == bindparam("device_id")),
                           [{**row, "device_id": row.pop("id")} for row in updates])


def deactivate_missing(scope: Scope, seen: set[int], now: datetime) -> int:
    """After a full run: mark inactive every active synced device of a mapped type and company
    whose configuration the run did not see (deleted in ConnectWise). Never deletes a device."""
    if not scope.device_types or not scope.companies:
        return 0
    rows = db.session.execute(
        select(Device.id, Device.external_id).where(
            Device.organisation_id == scope.organisation_id, Device.external_source == SOURCE, Device.active,
            Device.company_id.in_(sorted(set(scope.companies.values()))),
            Device.external_type_id.in_([str(t) for t in scope.device_types]))
    ).all()
    gone = [device_id for device_id, external_id in rows if not _int(external_id) in seen]
    for start in range(0, len(gone), ID_CHUNK):
        db.session.execute(update(Device).where(Device.id.in_(gone[start:start + ID_CHUNK]))
                           .values(active=False, updated_at=now))
    return len(gone)


def _check(configuration, scope: Scope, tally: Tally) -> tuple[dict, int, int, str] | None:
    """(configuration, company id, device type id, hostname), or None after counting a skip.

    The client has checked each record is an object with an id (`shapes.record`)."""
    cw_type, cw_company = configuration.get("type"), configuration.get("company")
    device_type_id = scope.device_types.get(_reference_id(cw_type))
    if device_type_id is None:
        tally.skip(f"type not mapped: {_reference_name(cw_type) or '?'}")
        return None
    company_id = scope.companies.get(_reference_id(cw_company))
    if company_id is None:
        tally.skip(f"company not mapped: {_reference_name(cw_company) or '?'}")
        return None
    name = configuration.get("name") if isinstance(configuration.get("name"), str) else ""
    return configuration, company_id, device_type_id, normalise_hostname(name, f"config-{configuration['id']}")


def _values(row: dict | None, configuration: dict, company_id: int, device_type_id: int) -> dict:
    """The device's columns as this configuration says (hostname aside); attributes the sync
    does not own (typed by hand) are kept."""
    attributes = {k: v for k, v in ((row or {}).get("attributes") or {}).items() if k not in SYNCED_ATTRIBUTES}
    for key, read in SYNCED_ATTRIBUTES.items():
        value = read(configuration)
        if value not in (None, ""):
            attributes[key] = str(value)[:200]
    type_id = _reference_id(configuration.get("type"))
    return {"company_id": company_id, "device_type_id": device_type_id, "attributes": attributes,
            "active": configuration.get("activeFlag") is not False, "external_source": SOURCE,
            "external_id": str(configuration["id"]), "external_name": _name(configuration),
            "external_type_id": str(type_id) if type_id is not None else None}


def _claim(book, company_id, hostname, device_id, configuration, tally) -> str:
    claimed = book.claim(company_id, hostname, device_id)
    if claimed != hostname and len(tally.renamed) < MAX_RENAMED_SHOWN:
        tally.renamed.append({"name": _name(configuration), "hostname": claimed, "taken": hostname,
                              "company_id": company_id})
    return claimed


_TABLE = Device.__table__
_COLUMNS = (Device.id, Device.company_id, Device.device_type_id, Device.hostname, Device.attributes, Device.active,
            Device.external_source, Device.external_id, Device.external_name, Device.external_type_id)


def _synced_devices(organisation_id: int, external_ids: list[str]) -> dict[str, dict]:
    rows = db.session.execute(select(*_COLUMNS).where(
        Device.organisation_id == organisation_id, Device.external_source == SOURCE,
        Device.external_id.in_(external_ids)))
    return {row.external_id: row._asdict() for row in rows}


def _unsynced_devices(organisation_id: int, hostnames: set[str]) -> dict[tuple[int, str], dict]:
    """Hand-made devices (no source) a new configuration of the same name and company takes over."""
    found: dict[tuple[int, str], dict] = {}
    for row in db.session.execute(select(*_COLUMNS).where(
            Device.organisation_id == organisation_id, Device.external_source.is_(None),
            func.lower(Device.hostname).in_(sorted(hostnames))).order_by(Device.id)):
        found.setdefault((row.company_id, row.hostname.lower()), row._asdict())
    return found


def _name(configuration: dict) -> str:
    name = configuration.get("name")
    return name[:200] if isinstance(name, str) else ""


def _reference_id(reference) -> int | None:
    value = reference.get("id") if isinstance(reference, dict) else None
    return value if _is_id(value) else None


def _reference_name(reference) -> str:
    value = reference.get("name") if isinstance(reference, dict) else None
    return value[:100] if isinstance(value, str) else ""


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _int(text: str | None) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
