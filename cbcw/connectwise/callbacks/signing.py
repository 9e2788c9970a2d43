"""Verification before belief (PRODUCT §3.11, REFERENCE §13).

ConnectWise signs a callback with a key it serves at the payload's `Metadata.key_url`: GET it for
`{"signing_key": "…"}`, hash that key with SHA-256, and the base64 HMAC-SHA256 of the raw body
under the hash must equal the `x-content-signature` header. The payload (and so `key_url`) is the
sender's word until the signature checks out, so the URL is fetched only when it is on the
organisation's own ConnectWise scheme, host and port, and through the organisation's guarded client
(the same address rules as every other call). Keys are kept a while per organisation and URL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from urllib.parse import urlsplit

from cbcw.connectwise.settings.base_url import origin

KEY_TTL_SECONDS = 600.0
MAX_KEYS = 1024
MAX_KEY_URL = 2000
# Where ConnectWise serves callback keys (REFERENCE §13: `…/v4_6_release/system/callbackkey/index.rails?id=…`,
# on-premise with a doubled slash): no other page of the site is ever fetched for a key.
KEY_PATH = "/system/callbackkey/index.rails"


def signature(signing_key: str, body: bytes) -> str:
    """What ConnectWise puts in `x-content-signature` for this body."""
    key = hashlib.sha256(signing_key.encode()).digest()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def signature_matches(signing_key: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(signing_key, body).encode(), header.encode())


def key_url_allowed(key_url, base_url: str) -> bool:
    """Whether `key_url` (untrusted) is an absolute URL of ConnectWise's callback-key page on the Base
    URL's scheme, host and port, without credentials in it."""
    if not isinstance(key_url, str) or not key_url or len(key_url) > MAX_KEY_URL or not base_url:
        return False
    try:
        parts = urlsplit(key_url)
        parts.port
    except ValueError:  # "http://[::1", a port beyond 65535
        return False
    if parts.username or parts.password or not parts.hostname or any(c in key_url for c in "\\\r\n\t "):
        return False
    return origin(key_url) == origin(base_url) and re.sub("/+", "/", parts.path).lower().endswith(KEY_PATH)


class KeyCache:
    """{(organisation, key_url): (fetched at, signing key)}, per process, `ttl` seconds."""

    def __init__(self, ttl: float = KEY_TTL_SECONDS, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._lock = threading.Lock()
        self._keys: dict[tuple, tuple[float, str]] = {}

    def get(self, key: tuple, fetch) -> str:
        """The cached key, else `fetch()`'s (which may raise: nothing is cached then)."""
        with self._lock:
            hit = self._keys.get(key)
            if hit is not None and self.clock() - hit[0] < self.ttl:
                return hit[1]
        value = fetch()
        with self._lock:
            if len(self._keys) >= MAX_KEYS:
                self._keys.clear()
            self._keys[key] = (self.clock(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


keys = KeyCache()
