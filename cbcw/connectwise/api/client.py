"""The one ConnectWise PSA REST client (PRODUCT §3): `ApiSession`'s HTTP mechanics (auth,
versioned Accept, timeouts, logging, paging, retries for reads; `http.py`) with the typed calls
of each API section (`endpoints/`).

Also the names the rest of the integration imports with the client: request body helpers
(`iso`, `replace`), `ticket_resource_identifiers` and the thread's `time_budget`.
"""
from __future__ import annotations

from cbcw.connectwise.api.endpoints.bodies import iso, replace
from cbcw.connectwise.api.endpoints.company import CompanyEndpoints
from cbcw.connectwise.api.endpoints.schedule import ScheduleEndpoints
from cbcw.connectwise.api.endpoints.service import ServiceEndpoints, ticket_resource_identifiers
from cbcw.connectwise.api.endpoints.system import SystemEndpoints
from cbcw.connectwise.api.endpoints.time import TimeEndpoints
from cbcw.connectwise.api.http import remaining_budget, time_budget

__all__ = ["ConnectWiseClient", "iso", "remaining_budget", "replace", "ticket_resource_identifiers", "time_budget"]


class ConnectWiseClient(SystemEndpoints, CompanyEndpoints, ServiceEndpoints, ScheduleEndpoints, TimeEndpoints):
    """Every call ChangeBreeze makes to one ConnectWise site and API member.

    Made like an `ApiSession` (`ConnectWiseClient(base_url, …)`, or `ConnectWiseClient.on(kept
    transport)` as `connection.client_for` does); each endpoint section adds its methods, all
    sharing this one session, its retry policy and its time budget.
    """
