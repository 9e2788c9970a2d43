"""Settings rows of an organisation: the connection, company ↔ CW company (+ boards), CW type → device type."""
from sqlalchemy import select

from cbcw.connectwise.settings.base_url import normalise_base_url, origin
from cbcw.connectwise.settings.models import STATUS_EVENTS, CompanyMapping, ConfigurationTypeMapping, ConnectWiseSettings
from cbcw.crypto import SecretUnreadable
from cbcw.devices.models import DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company


def find_settings(organisation_id: int) -> ConnectWiseSettings:
    """The organisation's settings row, or an unsaved blank one (nothing is added to the session)."""
    settings = db.session.scalar(
        select(ConnectWiseSettings).where(ConnectWiseSettings.organisation_id == organisation_id)
    )
    return settings or ConnectWiseSettings(organisation_id=organisation_id, enabled=False, base_url="",
                                           cw_company_id="", auto_update_status=False, status_warnings=[],
                                           **{attr: "" for attr, _label in STATUS_EVENTS})


def get_settings(organisation_id: int) -> ConnectWiseSettings:
    """The organisation's settings row, created empty on first use."""
    settings = db.session.scalar(
        select(ConnectWiseSettings).where(ConnectWiseSettings.organisation_id == organisation_id)
    )
    if settings is None:
        settings = ConnectWiseSettings(organisation_id=organisation_id)
        db.session.add(settings)
        db.session.flush()
    return settings


def active_settings(organisation_id: int) -> ConnectWiseSettings | None:
    """The organisation's settings when the integration is on and can connect, else None."""
    settings = db.session.scalar(
        select(ConnectWiseSettings).where(ConnectWiseSettings.organisation_id == organisation_id))
    return settings if settings is not None and settings.enabled and settings.is_complete else None


def enabled_organisations() -> list[int]:
    """The organisations with the integration switched on: what the nightly jobs go through."""
    return list(db.session.scalars(select(ConnectWiseSettings.organisation_id)
                                   .where(ConnectWiseSettings.enabled).order_by(ConnectWiseSettings.organisation_id)))


def stored_keys_readable(settings: ConnectWiseSettings) -> bool:
    """False when a stored key cannot be decrypted with the configured encryption keys."""
    try:
        settings.public_key, settings.private_key
    except SecretUnreadable:
        return False
    return True


def connection_form_data(settings: ConnectWiseSettings) -> dict:
    """What the connection form shows: never the private key, the public key only if readable."""
    try:
        public_key = settings.public_key
    except SecretUnreadable:
        public_key = ""
    return {"enabled": settings.enabled, "base_url": settings.base_url or "",
            "cw_company_id": settings.cw_company_id or "", "public_key": public_key}


def keys_stay_valid(settings: ConnectWiseSettings, base_url: str, cw_company_id: str) -> bool:
    """Whether the stored keys may be kept for this (normalised) Base URL and Company ID: only when
    the scheme, host and port and the company are unchanged (PRODUCT §3.1), so a stored key is
    never sent to a host it was not entered for."""
    return (origin(settings.base_url or "") == origin(base_url)
            and (settings.cw_company_id or "").strip().lower() == cw_company_id.strip().lower())


def save_connection(settings: ConnectWiseSettings, data: dict, allow_http: bool) -> str:
    """Store the connection fields; blank key fields keep the stored keys unless the host or the
    company changed, which discards them. Returns a note about the URL."""
    base_url = normalise_base_url(data["base_url"], allow_http=allow_http)
    if not keys_stay_valid(settings, base_url.url, data["cw_company_id"]):
        settings.public_key_encrypted = settings.private_key_encrypted = None
    settings.enabled = data["enabled"]
    settings.base_url = base_url.url
    settings.cw_company_id = data["cw_company_id"].strip()
    if data.get("public_key"):
        settings.public_key = data["public_key"].strip()
    if data.get("private_key"):
        settings.private_key = data["private_key"].strip()
    settings.last_test_ok = None
    return base_url.note


def save_statuses(settings: ConnectWiseSettings, data: dict) -> None:
    settings.auto_update_status = data["auto_update_status"]
    settings.plan_includes_test_and_rollback = bool(data.get("plan_includes_test_and_rollback"))
    settings.time_notes_to_discussion = bool(data.get("time_notes_to_discussion"))
    for attr, _label in STATUS_EVENTS:
        setattr(settings, attr, (data.get(attr) or "").strip())


def company_rows(organisation_id: int) -> list[tuple[Company, CompanyMapping | None]]:
    """Every active company with its mapping (or None), by name."""
    companies = db.session.scalars(
        select(Company).where(Company.organisation_id == organisation_id, Company.active).order_by(Company.name)
    ).all()
    mappings = {m.company_id: m for m in db.session.scalars(
        select(CompanyMapping).where(CompanyMapping.organisation_id == organisation_id))}
    return [(company, mappings.get(company.id)) for company in companies]


def map_company(company: Company, cw_company: dict) -> CompanyMapping:
    """Point a company at a ConnectWise company; a different CW company resets the board filter."""
    mapping = db.session.scalar(select(CompanyMapping).where(CompanyMapping.company_id == company.id))
    if mapping is None:
        mapping = CompanyMapping(organisation_id=company.organisation_id, company_id=company.id, board_ids=[], board_names=[])
        db.session.add(mapping)
    elif mapping.cw_company_id != cw_company["id"]:
        mapping.board_ids, mapping.board_names = [], []
    mapping.cw_company_id = cw_company["id"]
    mapping.cw_company_identifier = cw_company.get("identifier", "")
    mapping.cw_company_name = cw_company.get("name", "")
    db.session.flush()
    return mapping


def clients_of(organisation_id: int, cw_company_ids: list[int], but: int) -> dict[int, list[str]]:
    """The names of the clients (other than company `but`) already mapped to each of these
    ConnectWise companies: mapping two clients to one is allowed, but never silently."""
    if not cw_company_ids:
        return {}
    rows = db.session.execute(
        select(CompanyMapping.cw_company_id, Company.name).join(Company, Company.id == CompanyMapping.company_id)
        .where(CompanyMapping.organisation_id == organisation_id, CompanyMapping.cw_company_id.in_(cw_company_ids),
               CompanyMapping.company_id != but).order_by(Company.name))
    found: dict[int, list[str]] = {}
    for cw_id, name in rows:
        found.setdefault(cw_id, []).append(name)
    return found


def set_board_filter(mapping: CompanyMapping, chosen_ids: list[int], boards: list[dict]) -> None:
    """Keep only ids of boards ConnectWise really has; none chosen means all boards."""
    by_id = {board["id"]: board["name"] for board in boards}
    kept = [board_id for board_id in chosen_ids if board_id in by_id]
    mapping.board_ids = kept
    mapping.board_names = [by_id[board_id] for board_id in kept]


def board_ids_in_use(organisation_id: int) -> list[int] | None:
    """Boards whose tickets may be linked: the union of the filters, or None for every board
    (no mapping yet, or a mapped company without a filter)."""
    mappings = db.session.scalars(
        select(CompanyMapping).where(CompanyMapping.organisation_id == organisation_id)
    ).all()
    if not mappings or any(not m.board_ids for m in mappings):
        return None
    return sorted({board_id for m in mappings for board_id in m.board_ids})


def type_mapping_rows(organisation_id: int, cw_types: list[dict]) -> list[tuple[dict, int | None]]:
    """Each active ConnectWise configuration type with the device type id it maps to."""
    chosen = {m.cw_type_id: m.device_type_id for m in db.session.scalars(
        select(ConfigurationTypeMapping).where(ConfigurationTypeMapping.organisation_id == organisation_id))}
    return [(cw_type, chosen.get(cw_type["id"])) for cw_type in cw_types if not cw_type.get("inactiveFlag")]


def device_types(organisation_id: int) -> list[DeviceType]:
    return db.session.scalars(
        select(DeviceType).where(DeviceType.organisation_id == organisation_id).order_by(DeviceType.name)
    ).all()


def save_type_mappings(organisation_id: int, cw_types: list[dict], chosen: dict[int, int | None]) -> int:
    """Store type → device type for every listed CW type; returns how many are imported."""
    valid_device_types = {t.id for t in device_types(organisation_id)}
    existing = {m.cw_type_id: m for m in db.session.scalars(
        select(ConfigurationTypeMapping).where(ConfigurationTypeMapping.organisation_id == organisation_id))}
    for cw_type in cw_types:
        device_type_id = chosen.get(cw_type["id"])
        mapping = existing.get(cw_type["id"]) or ConfigurationTypeMapping(
            organisation_id=organisation_id, cw_type_id=cw_type["id"])
        mapping.cw_type_name = cw_type["name"]
        mapping.device_type_id = device_type_id if device_type_id in valid_device_types else None
        db.session.add(mapping)
    db.session.flush()
    return sum(1 for cw_type in cw_types if chosen.get(cw_type["id"]) in valid_device_types)
