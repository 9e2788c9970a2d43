import click
from sqlalchemy import select

from cbcw import crypto
from cbcw.connectwise.settings.models import CallbackEndpoint, ConnectWiseSettings
from cbcw.extensions import db


@click.command("rotate-keys")
def rotate_keys_command():
    """Re-encrypt every stored ConnectWise key (and callback address key) under the first key of CBCW_ENCRYPTION_KEYS."""
    rotated = 0
    for settings in db.session.scalars(select(ConnectWiseSettings)):
        for attr in ("public_key_encrypted", "private_key_encrypted"):
            token = getattr(settings, attr)
            if token:
                setattr(settings, attr, crypto.rotate(token))
                rotated += 1
    for endpoint in db.session.scalars(select(CallbackEndpoint)):
        endpoint.key_encrypted = crypto.rotate(endpoint.key_encrypted)
        rotated += 1
    db.session.commit()
    click.echo(f"Re-encrypted {rotated} stored key(s) under the newest encryption key.")
