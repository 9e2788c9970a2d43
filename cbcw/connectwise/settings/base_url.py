"""Turn what an admin types as the ConnectWise Base URL into the API root, or say what is wrong.

ConnectWise cloud serves its UI on `na.myconnectwise.net` and its API on `api-na.myconnectwise.net`
(REFERENCE §1); admins often paste the address from their browser, so a UI host is accepted and
the note explains what we use instead.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

API_PATH_SUFFIX = "/apis/3.0"
DEFAULT_CODEBASE = "/v4_6_release"
CLOUD_UI_HOSTS = {
    "na.myconnectwise.net", "eu.myconnectwise.net", "au.myconnectwise.net",
    "aus.myconnectwise.net", "za.myconnectwise.net", "staging.connectwisedev.com",
}


class BaseUrlInvalid(ValueError):
    """The message says what to type instead."""


@dataclass(frozen=True)
class BaseUrl:
    url: str
    note: str = ""  # set when we adjusted what was typed


def normalise_base_url(raw: str, allow_http: bool = False) -> BaseUrl:
    text = raw.strip()
    example = "e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        raise BaseUrlInvalid(f"Enter the full address starting with https:// ({example}).")
    if parts.username or parts.password:
        raise BaseUrlInvalid("Remove the user name and password from the URL: keys go in their own fields.")
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_http):
        raise BaseUrlInvalid("The Base URL must start with https:// (ConnectWise requires SSL).")
    if parts.query or parts.fragment:
        raise BaseUrlInvalid(f"Remove the part after ? or # ({example}).")

    try:
        port = parts.port
    except ValueError:
        raise BaseUrlInvalid("The port after the host name must be a number from 1 to 65535.") from None
    host, path, notes = parts.hostname or "", parts.path.rstrip("/"), []
    if not host or port == 0:
        raise BaseUrlInvalid(f"Enter the full address starting with https:// ({example}).")
    if host in CLOUD_UI_HOSTS:
        notes.append(f"{host} is the ConnectWise web address; the API is served from api-{host}.")
        host = f"api-{host}"
    if not path.endswith(API_PATH_SUFFIX):
        codebase = path.split("/apis/")[0] if "/apis/" in path else ""
        if not codebase.startswith("/v"):
            codebase = DEFAULT_CODEBASE
        path = codebase + API_PATH_SUFFIX
        notes.append(f"The API lives under {path}.")
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    url = urlunsplit((parts.scheme, netloc, path, "", ""))
    note = " ".join(notes + [f"Using {url}."]) if notes else ""
    return BaseUrl(url=url, note=note)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a stored Base URL: what a stored key is tied to."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port or default
