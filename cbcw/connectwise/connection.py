"""Build a client from an organisation's settings, and Test Connection with a message per failure."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from cbcw.connectwise import errors
from cbcw.connectwise.client import ConnectWiseClient
from cbcw.connectwise.models import ConnectWiseSettings
from cbcw.connectwise.retry import RetryPolicy


class NotConfigured(errors.ConnectWiseError):
    default_message = "Save the Base URL, Company ID and both API keys first."


def client_for(settings: ConnectWiseSettings, interactive: bool = True) -> ConnectWiseClient:
    """A client for this organisation; interactive callers (pages) retry little and briefly."""
    if not settings.is_complete:
        raise NotConfigured()
    config = current_app.config
    if not config["CW_CLIENT_ID"]:
        raise NotConfigured("This server has no ConnectWise clientId: the operator must set CW_CLIENT_ID.")
    return ConnectWiseClient(
        settings.base_url, settings.cw_company_id, settings.public_key, settings.private_key,
        client_id=config["CW_CLIENT_ID"], api_version=config["CW_API_VERSION"],
        connect_timeout=config["CW_CONNECT_TIMEOUT"], read_timeout=config["CW_READ_TIMEOUT"],
        retry=RetryPolicy(attempts=2, cap=2.0) if interactive else RetryPolicy(attempts=5, cap=60.0),
    )


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str
    version: str = ""


def test_connection(settings: ConnectWiseSettings) -> ConnectionResult:
    """system/info proves host, company, keys and clientId; one board read proves the role can read service."""
    try:
        client = client_for(settings)
        info = client.system_info()
        client.request("GET", "/service/boards", params={"pageSize": 1, "fields": "id"})
    except errors.AuthenticationError:
        return ConnectionResult(False, _authentication_message(client, settings))
    except errors.ConnectWiseError as error:
        return ConnectionResult(False, _failure_message(error, settings))
    version = str((info or {}).get("version", "")).strip()
    return ConnectionResult(True, "Connection successful" + (f" (ConnectWise {version})" if version else ""), version)


def _failure_message(error: errors.ConnectWiseError, settings: ConnectWiseSettings) -> str:
    host = urlsplit(settings.base_url).netloc
    timeout = current_app.config["CW_READ_TIMEOUT"]
    messages = {
        errors.NotFound: f"Not found: {host} answered, but not as a ConnectWise API. Check the Base URL "
                         "(it ends in /apis/3.0, on the api- host for ConnectWise cloud).",
        errors.Unavailable: f"Could not reach {host}: check the Base URL and that the server is up.",
        errors.Timeout: f"{host} did not answer within {timeout:g} seconds. Check the Base URL, or try again.",
        errors.TLSError: f"TLS error talking to {host}: its certificate could not be verified.",
        errors.PermissionDenied: "Connected, but the API member's security role lacks permission to read "
                                 "system info or service boards. Grant it in ConnectWise (System → Security Roles).",
        errors.RateLimited: "ConnectWise is rate limiting this integration"
                            + (f": try again in {error.retry_after:g} seconds." if getattr(error, "retry_after", None) else
                               ": try again shortly."),
        errors.BadResponse: f"{host} answered with something that is not the ConnectWise API. Check the Base URL.",
    }
    if isinstance(error, errors.Unavailable) and error.status:
        return f"ConnectWise answered HTTP {error.status}: it is having trouble. Try again in a few minutes."
    return messages.get(type(error), str(error))


def _authentication_message(client: ConnectWiseClient, settings: ConnectWiseSettings) -> str:
    """A 401 means wrong company ID or wrong keys; the public companyinfo lookup tells which."""
    try:
        company_known = client.company_info() is not None
    except errors.ConnectWiseError:
        company_known = True  # cannot tell: point at the keys, the likelier mistake
    if not company_known:
        return (f"Authentication failed: ConnectWise does not know the company ID “{settings.cw_company_id}”. "
                "Use the company name you type on the ConnectWise login screen.")
    return "Authentication failed: ConnectWise rejected the API keys. Check the public and private keys for this company."
