"""Encryption keys: rotation, and start-up refusing missing or malformed keys."""
import pytest
from cryptography.fernet import Fernet

from app import create_app
from cbcw.config import Config, TestConfig
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.crypto import SecretUnreadable


def test_rotate_keys_reencrypts_under_the_new_key(app, db, org):
    """After prepending a new key and rotating, only the new key is needed to read the secrets."""
    settings = get_settings(org.id)
    settings.private_key = "rotate-me"
    db.session.commit()
    old_key, new_key = app.config["ENCRYPTION_KEYS"], Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = f"{new_key},{old_key}"
    result = app.test_cli_runner().invoke(args=["rotate-keys"])
    assert "Re-encrypted 1 stored key(s)" in result.output
    app.config["ENCRYPTION_KEYS"] = new_key
    db.session.expire_all()
    assert get_settings(org.id).private_key == "rotate-me"


def test_unreadable_secret_is_a_clear_message(app, db, org):
    """A secret under a dropped key asks the admin to enter it again."""
    settings = get_settings(org.id)
    settings.private_key = "lost"
    db.session.commit()
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    with pytest.raises(SecretUnreadable, match="enter it again"):
        settings.private_key


def test_malformed_key_stops_start_up():
    """A malformed CBCW_ENCRYPTION_KEYS stops start-up with a clear message."""

    class BadKey(TestConfig):
        ENCRYPTION_KEYS = "not-a-fernet-key"

    with pytest.raises(RuntimeError, match="malformed key"):
        create_app(BadKey)


@pytest.mark.parametrize("overrides, message", [
    ({"SECRET_KEY": None, "ENCRYPTION_KEYS": Fernet.generate_key().decode()}, "SECRET_KEY is missing"),
    ({"SECRET_KEY": "x" * 40, "ENCRYPTION_KEYS": ""}, "CBCW_ENCRYPTION_KEYS is missing"),
])
def test_production_refuses_to_start_without_secrets(overrides, message):
    """Outside development, a missing SECRET_KEY or encryption key stops start-up."""
    production = type("Production", (Config,), {"SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})
    with pytest.raises(RuntimeError, match=message):
        create_app(production)
