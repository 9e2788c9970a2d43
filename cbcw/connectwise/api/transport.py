"""What a ConnectWise client keeps between requests: a connection pool that only opens checked
sockets, the credentials and headers, and a `requests.Session` per thread on that pool.

Kept per organisation (`connection.client_for`), so a typeahead keystroke reuses the open TLS
connection instead of paying a new handshake. Thread safety: the urllib3 pool behind the one
`GuardedAdapter` is thread-safe; a `requests.Session` is not documented to be, so every thread
(a gunicorn worker thread, the paging prefetch thread) gets its own Session mounted on the shared
adapter. Sessions keep no state between calls: cookies are refused, redirects are never followed
and the environment's proxy and netrc settings are ignored (a proxy would connect to addresses
this module never checked).
"""
from __future__ import annotations

import socket
import threading
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from cbcw.connectwise.api.addresses import AddressPolicy, checked_addresses


class _CheckedConnection:
    """Mixed into urllib3's connections: resolve, check every address, connect to a checked one.

    `self.host` (the name) still drives the Host header, SNI and certificate verification; only
    the socket goes to the address that was checked.
    """

    policy: AddressPolicy

    def _new_conn(self) -> socket.socket:
        infos = checked_addresses(self._dns_host, self.port, self.policy)
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else socket.getdefaulttimeout()
        failure: OSError | None = None
        for _family, _type, _proto, _name, sockaddr in infos:
            try:
                sock = socket.create_connection((sockaddr[0], self.port), timeout, source_address=self.source_address)
            except socket.timeout as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                failure = error
                continue
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {failure}")


def _pool_classes(policy: AddressPolicy) -> dict:
    """urllib3 pool classes whose connections apply `policy`."""
    def pool(base_pool, base_connection, name):
        connection = type(f"Checked{name}Connection", (_CheckedConnection, base_connection), {"policy": policy})
        return type(f"Checked{name}ConnectionPool", (base_pool,), {"ConnectionCls": connection})

    return {"http": pool(HTTPConnectionPool, HTTPConnection, "HTTP"),
            "https": pool(HTTPSConnectionPool, HTTPSConnection, "HTTPS")}


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose sockets are opened only to addresses `policy` allows."""

    def __init__(self, policy: AddressPolicy, **kwargs):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)


class _NoRedirects(requests.Session):
    """A Session that never sees a redirect target, so it never follows one (nor reads a 3xx
    body to prepare the next request, as requests does even with allow_redirects=False)."""

    def get_redirect_target(self, response):
        return None


class Transport:
    """One ConnectWise site and API member: where, who, and the kept connection pool."""

    def __init__(self, base_url: str, company_id: str, public_key: str, private_key: str, client_id: str,
                 api_version: str = "2025.1", connect_timeout: float = 5, read_timeout: float = 20,
                 policy: AddressPolicy | None = None, hooks: tuple = ()):
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id
        self.timeout = (connect_timeout, read_timeout)
        self._auth = (f"{company_id}+{public_key}", private_key)
        self._headers = {"clientId": client_id,
                         "Accept": f"application/vnd.connectwise.com+json; version={api_version}"}
        self._hooks = hooks
        self.adapter = GuardedAdapter(policy or AddressPolicy(), pool_maxsize=16)
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """This thread's Session on the shared pool."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._new_session()
        return session

    def _new_session(self) -> requests.Session:
        session = _NoRedirects()
        session.trust_env = False
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        session.mount("https://", self.adapter)
        session.mount("http://", self.adapter)
        session.auth = self._auth
        session.headers.update(self._headers)
        session.hooks["response"].extend(self._hooks)
        return session

    def close(self) -> None:
        """Close the pool's connections (Sessions hold nothing else)."""
        self.adapter.close()
