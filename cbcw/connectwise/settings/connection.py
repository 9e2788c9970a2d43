"""An organisation's ConnectWise client (kept between requests), and Test Connection with a
message per failure (PRODUCT §3.1)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from cbcw.connectwise.api import capabilities, errors, shapes
from cbcw.connectwise.api.addresses import AddressPolicy
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.http import log_response
from cbcw.connectwise.api.kept import KeptTransports, fingerprint
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.connectwise.api.retry import RetryPolicy
from cbcw.connectwise.api.transport import Transport
from cbcw.crypto import SecretUnreadable


class NotConfigured(errors.ConnectWiseError):
    default_message = "Save the Base URL, Company ID and both API keys first."


def client_for(settings: ConnectWiseSettings, interactive: bool = True) -> ConnectWiseClient:
    """A client for this organisation on its kept connection pool.

    Interactive callers (a page, a typeahead, Test Connection) get a client whose calls, retries
    included, end within CW_INTERACTIVE_BUDGET seconds of this call and which never waits out a
    Retry-After; background callers (sync, delivery) retry longer and wait Retry-After in full.
    """
    if not settings.is_complete:
        raise NotConfigured()
    config = current_app.config
    if not config["CW_CLIENT_ID"]:
        raise NotConfigured("This server has no ConnectWise clientId: the operator must set CW_CLIENT_ID.")
    policy = AddressPolicy.from_config(config)
    options = (settings.base_url, settings.cw_company_id, config["CW_CLIENT_ID"], config["CW_API_VERSION"],
               config["CW_CONNECT_TIMEOUT"], config["CW_READ_TIMEOUT"], policy)
    key = fingerprint(*options, settings.public_key_encrypted, settings.private_key_encrypted)
    transport = _kept().get(settings.organisation_id, key, lambda: _transport(settings, *options))
    if interactive:
        return ConnectWiseClient.on(transport, RetryPolicy(attempts=2, cap=2.0, wait_retry_after=False),
                                    budget=config["CW_INTERACTIVE_BUDGET"])
    return ConnectWiseClient.on(transport, RetryPolicy(attempts=5, cap=60.0))


def _kept() -> KeptTransports:
    return current_app.extensions.setdefault("cw_transports", KeptTransports())


def _transport(settings, base_url, company_id, client_id, api_version, connect_timeout, read_timeout, policy):
    try:
        public_key, private_key = settings.public_key, settings.private_key
    except SecretUnreadable:
        raise errors.KeyUnreadable() from None
    return Transport(base_url, company_id, public_key, private_key, client_id, api_version,
                     connect_timeout, read_timeout, policy, hooks=(log_response,))


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str
    version: str = ""
    # What the API member's role allows, [{"words", "granted": True|False|None, "setting"}]
    capabilities: tuple = ()


def test_connection(settings: ConnectWiseSettings) -> ConnectionResult:
    """The saved settings, checked in REFERENCE §2's order: /system/info proves host, company,
    keys and clientId; one board read proves the API member's role can read service."""
    try:
        client = client_for(settings)
    except errors.ConnectWiseError as error:
        return ConnectionResult(False, str(error))
    try:
        info = client.system_info()
    except (errors.AuthenticationError, errors.NotFound) as error:
        return ConnectionResult(False, _credentials_message(client, settings, error))
    except errors.PermissionDenied:
        return ConnectionResult(False, CLIENT_ID_OR_ROLE)
    except errors.ConnectWiseError as error:
        return ConnectionResult(False, _failure_message(error, settings))
    try:
        client.request("GET", "/service/boards", params={"pageSize": 1, "fields": "id"})
    except errors.PermissionDenied:
        return ConnectionResult(False, ROLE_CANNOT_READ_BOARDS)
    except errors.ConnectWiseError as error:
        return ConnectionResult(False, _failure_message(error, settings))
    version = shapes.text(info, "version").strip()[:errors.MAX_DETAIL_CHARS]
    message = "Connection successful" + (f" (ConnectWise {version})" if version else "")
    checks, role_note = role_checks(client)
    missing = [c["words"] for c in checks if c["granted"] is False]
    if missing:
        message += f", but the API member's security role may not: {', '.join(missing)}."
    elif role_note:
        message += f". {role_note}"
    return ConnectionResult(True, message[:500], version, tuple(checks))


def role_checks(client: ConnectWiseClient) -> tuple[list[dict], str]:
    """Each capability the integration needs (`capabilities.CAPABILITIES`) against the API member's
    security role, and a note when the role could not be read. ConnectWise has no documented
    "who am I" for an API key, so the role is the one of the site's active API members
    (`/system/apiMembers`) when they all share one role."""
    try:
        roles = {role.get("id"): role for role in client.api_member_roles() if role.get("id") is not None}
        if len(roles) != 1:
            return [], (ROLE_UNKNOWN_SEVERAL if roles else ROLE_UNKNOWN_NONE)
        [role_id] = roles
        settings = client.security_role_settings(role_id)
    except errors.PermissionDenied:
        return [], ROLE_UNREADABLE
    except errors.ConnectWiseError as error:
        return [], f"The security role could not be read: {error}"
    return [{"words": check.capability.words, "granted": check.granted, "setting": check.capability.setting}
            for check in capabilities.check_role(settings)], ""


ROLE_UNKNOWN_SEVERAL = ("The API members use different security roles, so the capabilities were not checked: "
                        "see the README for the role the integration needs.")
ROLE_UNKNOWN_NONE = "No active API member was found, so the security role was not checked."
ROLE_UNREADABLE = ("The API member's role may not read security roles (System → Security Roles: Inquire), "
                   "so the capabilities were not checked.")


CLIENT_ID_OR_ROLE = (
    "ConnectWise refused access (403). Either this server's clientId is missing or not accepted "
    "(the operator sets CW_CLIENT_ID to the integration's clientId from developer.connectwise.com), "
    "or the API member's security role may not read system information (System → Security Roles).")
CHECK_BASE_URL = "Check the Base URL (it ends in /apis/3.0, on the api- host for ConnectWise cloud)."
ROLE_CANNOT_READ_BOARDS = (
    "Connected, but the API member's security role lacks permission to read service boards. "
    "Grant it in ConnectWise (System → Security Roles).")


def _host(settings: ConnectWiseSettings) -> str:
    return urlsplit(settings.base_url).netloc


def _failure_message(error: errors.ConnectWiseError, settings: ConnectWiseSettings) -> str:
    host = _host(settings)
    messages = {
        errors.NotFound: f"Not found: {host} answered, but not as a ConnectWise API. {CHECK_BASE_URL}",
        errors.BadResponse: f"{host} answered, but not as a ConnectWise API. {CHECK_BASE_URL}",
        errors.Redirected: f"{host} answered with a redirect: it is not a ConnectWise API address. {CHECK_BASE_URL}",
        errors.Unavailable: f"Could not reach {host}: check the Base URL and that the server is up.",
        errors.Timeout: f"{host} did not answer within {getattr(error, 'seconds', None) or 0:g} seconds. "
                        "Check the Base URL, or try again.",
        errors.TLSError: f"TLS error talking to {host}: its certificate could not be verified.",
    }
    if isinstance(error, errors.Unavailable) and error.status:
        return f"{host} answered HTTP {error.status}: ConnectWise is having trouble. Try again in a few minutes."
    return messages.get(type(error), str(error))


def _credentials_message(client: ConnectWiseClient, settings: ConnectWiseSettings,
                         error: errors.ConnectWiseError) -> str:
    """401 (and 404, which cloud ConnectWise answers for bad credentials) tell apart wrong keys,
    wrong company ID and wrong Base URL with the public companyinfo lookup (REFERENCE §1)."""
    try:
        company = client.company_info()
    except errors.ConnectWiseError:
        if isinstance(error, errors.NotFound):
            return _failure_message(error, settings)
        company = {}  # cannot tell: point at the keys, the likelier mistake
    if company is None:
        return (f"Authentication failed: ConnectWise does not know the company ID “{settings.cw_company_id}”. "
                "Use the company name you type on the ConnectWise login screen.")
    codebase = shapes.text(company, "Codebase").strip("/")
    path = urlsplit(settings.base_url).path
    if codebase and not path.startswith(f"/{codebase}/"):
        return (f"This ConnectWise site runs codebase /{codebase}/, but the Base URL uses {path}. "
                f"Use /{codebase}/apis/3.0 on the same host.")
    if isinstance(error, errors.NotFound):
        return ("Authentication failed: ConnectWise answered “not found”, which ConnectWise cloud does for "
                "wrong API keys. Check the public and private keys for this company.")
    return "Authentication failed: ConnectWise rejected the API keys. Check the public and private keys for this company."
