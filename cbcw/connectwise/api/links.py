"""Browser links into the ConnectWise web UI (REFERENCE §11.2), derived from the API base URL."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

TICKET_PATH = "/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
OPEN_RECORD_PATH = "/v4_6_release/services/system_io/router/openrecord.rails"


def ui_host(base_url: str) -> str:
    """The UI host[:port]: cloud API hosts drop their `api-` prefix; others stay unchanged."""
    netloc = urlsplit(base_url).netloc
    return netloc[len("api-"):] if netloc.lower().startswith("api-") else netloc


def ticket_url(base_url: str, company_id: str, ticket_id: int) -> str:
    """The classic ticket screen, keeping the base URL's scheme and port."""
    scheme = urlsplit(base_url).scheme or "https"
    query = urlencode({"service_recid": int(ticket_id), "companyName": company_id})
    return f"{scheme}://{ui_host(base_url)}{TICKET_PATH}?{query}"


def configuration_url(base_url: str, company_id: str, configuration_id: int) -> str:
    """The configuration screen through the open-record router (`recordType=ConfigFv`)."""
    scheme = urlsplit(base_url).scheme or "https"
    query = urlencode({"locale": "en_US", "recordType": "ConfigFv", "recid": int(configuration_id),
                       "companyName": company_id})
    return f"{scheme}://{ui_host(base_url)}{OPEN_RECORD_PATH}?{query}"
