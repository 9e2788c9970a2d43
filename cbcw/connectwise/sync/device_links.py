"""The "Open in ConnectWise" link of a synced device: the integration adds it to the templates,
so the device pages never import the integration."""
from flask import Flask
from sqlalchemy import select

from cbcw.connectwise.api.links import configuration_url
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.connectwise.sync.devices import SOURCE
from cbcw.extensions import db


def device_source_link(device) -> str | None:
    """The configuration's page in ConnectWise's web UI, or None for a device not synced from it."""
    if device.external_source != SOURCE or not (device.external_id or "").isdigit():
        return None
    settings = db.session.scalar(select(ConnectWiseSettings).where(
        ConnectWiseSettings.organisation_id == device.organisation_id))
    if settings is None or not settings.base_url:
        return None
    return configuration_url(settings.base_url, settings.cw_company_id, int(device.external_id))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["device_source_link"] = device_source_link
