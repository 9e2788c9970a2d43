"""Secrets at rest: Fernet tokens under the keys in CBCW_ENCRYPTION_KEYS (MultiFernet).

The first key encrypts; every key decrypts, so keys rotate by prepending a new one, running
`flask rotate-keys`, then dropping the old one.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(Exception):
    """A stored secret no configured key can decrypt (a key was dropped too early)."""


def _fernet() -> MultiFernet:
    raw = [key.strip() for key in current_app.config["ENCRYPTION_KEYS"].split(",") if key.strip()]
    if not raw:
        raise RuntimeError("CBCW_ENCRYPTION_KEYS is not set.")
    try:
        return MultiFernet([Fernet(key) for key in raw])
    except ValueError:
        raise RuntimeError(
            "CBCW_ENCRYPTION_KEYS holds a malformed key: each must be a 32-byte url-safe base64 Fernet key."
        ) from None


def check_keys() -> None:
    """Fail fast (at start-up) on a missing or malformed key."""
    _fernet()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored ConnectWise key cannot be decrypted with the configured encryption keys; enter it again."
        ) from None


def rotate(token: str) -> str:
    """The same secret under the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()


class EncryptedText:
    """A model attribute that reads and writes plaintext while its column holds the Fernet token.

    `private_key = EncryptedText("private_key_encrypted")`: reading decrypts ("" when unset),
    assigning encrypts. The plaintext is never stored on the instance.
    """

    def __init__(self, column: str):
        self.column = column

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        token = getattr(instance, self.column)
        return decrypt(token) if token else ""

    def __set__(self, instance, value: str) -> None:
        setattr(instance, self.column, encrypt(value))
