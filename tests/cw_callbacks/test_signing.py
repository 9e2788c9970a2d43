"""How a callback's signature is checked (REFERENCE §13): the key from key_url, hashed with
SHA-256, keys a base64 HMAC-SHA256 of the raw body; key_url must be on the site's own origin."""
import base64
import hashlib
import hmac

import pytest

from cbcw.connectwise.callbacks import signing

BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def test_signature_is_base64_hmac_sha256_of_the_body_under_the_sha256_of_the_key():
    body = b'{"ID": 5001}'
    expected = base64.b64encode(hmac.new(hashlib.sha256(b"secret").digest(), body, hashlib.sha256).digest()).decode()
    assert signing.signature("secret", body) == expected
    assert signing.signature_matches("secret", body, expected)
    assert not signing.signature_matches("secret", body + b" ", expected)
    assert not signing.signature_matches("other", body, expected)


@pytest.mark.parametrize("url, allowed", [
    ("https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails?id=7", True),
    ("https://API-NA.myconnectwise.net:443/v4_6_release//system/callbackkey/index.rails?id=7", True),
    ("http://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails", False),
    ("https://api-eu.myconnectwise.net/v4_6_release/system/callbackkey/index.rails", False),
    ("https://api-na.myconnectwise.net:8443/v4_6_release/system/callbackkey/index.rails", False),
    ("https://api-na.myconnectwise.net/v4_6_release/apis/3.0/system/members", False),
    ("https://api-na.myconnectwise.net/v4_6_release/system/callbackkey/index.rails.evil", False),
    ("https://api-na.myconnectwise.net.evil.test/key", False),
    ("https://user:pw@api-na.myconnectwise.net/key", False),
    ("https://api-na.myconnectwise.net:99999/key", False),
    ("//api-na.myconnectwise.net/key", False),
    ("/v4_6_release/system/callbackkey/index.rails", False),
    ("https://169.254.169.254/latest/meta-data", False),
    ("", False), (None, False), (12, False), (["https://api-na.myconnectwise.net/"], False),
])
def test_key_url_must_be_on_the_sites_own_scheme_host_and_port(url, allowed):
    assert signing.key_url_allowed(url, BASE) is allowed


def test_keys_are_cached_per_url_until_they_expire():
    now = [0.0]
    cache = signing.KeyCache(ttl=600, clock=lambda: now[0])
    fetched = []

    def fetch():
        fetched.append(1)
        return f"key{len(fetched)}"

    assert cache.get(("org", "url"), fetch) == "key1"
    assert cache.get(("org", "url"), fetch) == "key1"
    now[0] = 601
    assert cache.get(("org", "url"), fetch) == "key2" and len(fetched) == 2
