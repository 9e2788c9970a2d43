"""Which callbacks an organisation registers in ConnectWise, and keeping them so (PRODUCT §3.11).

Only what the organisation uses: tickets of the boards its company mappings allow (one `Board`
level callback each; every ticket, level `Owner` with objectId 1, when a mapping allows all
boards, since tickets have no company level), and, once a configuration type is mapped,
configurations of each mapped company (level `Company`). Every callback posts to the
organisation's secret address. `sync` compares what should exist with what ConnectWise lists for
that address, so saving twice never registers twice, and a callback removed by hand in
ConnectWise is registered again on the next save. Disabling the integration or moving it to
another host removes them, with the credentials of the site they were made on.
"""
from __future__ import annotations

import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import delete, select

from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.callbacks.models import CallbackRegistration
from cbcw.connectwise.settings import signals
from cbcw.connectwise.settings.base_url import origin
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.signals import PreviousSite
from cbcw.connectwise.settings.models import (CallbackEndpoint, CompanyMapping, ConfigurationTypeMapping,
                                              ConnectWiseSettings)
from cbcw.crypto import SecretUnreadable
from cbcw.extensions import db

log = logging.getLogger(__name__)
URL_PATH = "/connectwise/callbacks/"
DESCRIPTION = "ChangeBreeze: {type} changes ({level} {object_id})"
Wanted = tuple[str, str, int]  # (type, level, objectId), lower case


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def endpoint_of(organisation_id: int) -> CallbackEndpoint | None:
    return db.session.scalar(select(CallbackEndpoint).where(CallbackEndpoint.organisation_id == organisation_id))


def ensure_endpoint(organisation_id: int) -> CallbackEndpoint:
    """The organisation's callback address, made on first use (256 random bits)."""
    endpoint = endpoint_of(organisation_id)
    if endpoint is None:
        key = secrets.token_urlsafe(32)
        endpoint = CallbackEndpoint(organisation_id=organisation_id, key_hash=key_hash(key))
        endpoint.key = key
        db.session.add(endpoint)
        db.session.flush()
    return endpoint


def callback_url(endpoint: CallbackEndpoint) -> str:
    return current_app.config["APP_BASE_URL"].rstrip("/") + URL_PATH + endpoint.key


def wanted(organisation_id: int) -> set[Wanted]:
    company_mappings = db.session.scalars(select(CompanyMapping).where(
        CompanyMapping.organisation_id == organisation_id)).all()
    if not company_mappings:
        return set()
    if any(not m.board_ids for m in company_mappings):
        found: set[Wanted] = {("ticket", "owner", 1)}
    else:
        found = {("ticket", "board", int(board)) for m in company_mappings for board in m.board_ids}
    types_mapped = db.session.scalar(select(ConfigurationTypeMapping.id).where(
        ConfigurationTypeMapping.organisation_id == organisation_id,
        ConfigurationTypeMapping.device_type_id.is_not(None)).limit(1))
    if types_mapped:
        found |= {("configuration", "company", m.cw_company_id) for m in company_mappings}
    return found


def registrations(organisation_id: int) -> list[CallbackRegistration]:
    return list(db.session.scalars(select(CallbackRegistration).where(
        CallbackRegistration.organisation_id == organisation_id).order_by(
        CallbackRegistration.type.desc(), CallbackRegistration.level, CallbackRegistration.object_id)))


def enabled() -> bool:
    return bool(current_app.config.get("CW_CALLBACKS", True))


def sync(settings: ConnectWiseSettings, client: ConnectWiseClient | None = None) -> str:
    """Make ConnectWise's callbacks for our address match `wanted` (committing the local record).
    Returns a sentence for the admin; raises nothing for a ConnectWise failure."""
    if not enabled():
        return ""
    if not (settings.enabled and settings.is_complete):
        return ""
    try:
        client = client or client_for(settings, interactive=True)
        url = callback_url(ensure_endpoint(settings.organisation_id))
        db.session.commit()  # the address stays ours whatever ConnectWise answers; no lock held while it is asked
        created, removed = _reconcile(settings, client, url)
    except (ConnectWiseError, SecretUnreadable) as error:
        db.session.rollback()
        log.warning("callbacks of organisation %s not registered: %s", settings.organisation_id, error)
        return f"ConnectWise callbacks could not be registered: {error}"
    db.session.commit()
    if not created and not removed:
        return ""
    return f"ConnectWise callbacks: {created} registered, {removed} removed."


def _reconcile(settings: ConnectWiseSettings, client: ConnectWiseClient, url: str) -> tuple[int, int]:
    organisation_id = settings.organisation_id
    want = wanted(organisation_id)
    remote: dict[Wanted, list[int]] = {}
    for entry in client.list_callbacks(url):
        key = (str(entry.get("type", "")).lower(), str(entry.get("level", "")).lower(), entry.get("objectId"))
        remote.setdefault(key, []).append(entry["id"])
    removed = 0
    for key, ids in remote.items():
        extra = ids if key not in want else ids[1:]  # a duplicate made elsewhere goes too
        for callback_id in extra:
            client.delete_callback(callback_id)
            removed += 1
    created, registered = 0, []
    for key in sorted(want):
        type_, level, object_id = key
        description = DESCRIPTION.format(type=type_, level=level, object_id=object_id)
        if key in remote:
            callback_id = remote[key][0]
        else:
            callback_id = client.create_callback(url=url, type_=type_, level=level, object_id=object_id,
                                                 description=description)["id"]
            created += 1
        registered.append(CallbackRegistration(organisation_id=organisation_id, base_url=settings.base_url,
                                               cw_callback_id=callback_id, type=type_, level=level,
                                               object_id=object_id, description=description))
    # Written once ConnectWise has answered every request: no write lock is held while it is asked.
    db.session.execute(delete(CallbackRegistration).where(CallbackRegistration.organisation_id == organisation_id))
    db.session.add_all(registered)
    return created, removed


def after_save(settings: ConnectWiseSettings, previous: PreviousSite, **_ignored) -> str:
    """After the connection was saved and committed: remove the old site's callbacks when the
    integration is off or on another site, then register what this site should have."""
    if not enabled():
        return ""
    notes = []
    moved = (origin(previous.base_url) != origin(settings.base_url)
             or previous.company_id.strip().lower() != settings.cw_company_id.strip().lower())
    if moved or not settings.enabled:
        notes.append(remove_all(settings.organisation_id, previous.client))
    notes.append(sync(settings))
    return " ".join(note for note in notes if note)


def after_mapping(settings: ConnectWiseSettings, **_ignored) -> str:
    """Mapped companies, boards or types changed: what is registered follows."""
    return sync(settings)


def init_app(app) -> None:
    """Subscribe to the settings pages' signals (module functions: connecting twice is once)."""
    signals.connection_saved.connect(after_save)
    signals.mappings_changed.connect(after_mapping)


def remove_all(organisation_id: int, client: ConnectWiseClient | None) -> str:
    """Delete every registration of the organisation from its site, then forget them (committed)."""
    rows = registrations(organisation_id)
    if not rows:
        return ""
    failure = None
    if client is None:
        failure = "the old site's keys could not be used"
    else:
        try:
            for row in rows:
                client.delete_callback(row.cw_callback_id)
        except ConnectWiseError as error:
            failure = str(error)
    db.session.execute(delete(CallbackRegistration).where(CallbackRegistration.organisation_id == organisation_id))
    db.session.commit()
    if failure:
        log.warning("callbacks of organisation %s not removed: %s", organisation_id, failure)
        return (f"The ConnectWise callbacks could not be removed ({failure}); ChangeBreeze now refuses them, "
                "and ConnectWise disables a callback that keeps failing.")
    return f"ConnectWise callbacks removed: {len(rows)}."
