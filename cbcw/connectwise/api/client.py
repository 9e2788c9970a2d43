"""The one ConnectWise PSA REST client (PRODUCT §3): `ApiSession`'s HTTP mechanics (auth,
versioned Accept, timeouts, logging, paging, retries for reads; `http.py`) with the typed calls
of each API section (`endpoints/`).
"""
from __future__ import annotations

from cbcw.connectwise.api.endpoints.callbacks import CallbackEndpoints
from cbcw.connectwise.api.endpoints.company import CompanyEndpoints
from cbcw.connectwise.api.endpoints.schedule import ScheduleEndpoints
from cbcw.connectwise.api.endpoints.service import ServiceEndpoints
from cbcw.connectwise.api.endpoints.system import SystemEndpoints
from cbcw.connectwise.api.endpoints.time import TimeEndpoints


class ConnectWiseClient(SystemEndpoints, CompanyEndpoints, ServiceEndpoints, ScheduleEndpoints, TimeEndpoints,
                        CallbackEndpoints):
    """Every call ChangeBreeze makes to one ConnectWise site and API member.

    Made like an `ApiSession` (`ConnectWiseClient(base_url, …)`, or `ConnectWiseClient.on(kept
    transport)` as `connection.client_for` does); each endpoint section adds its methods, all
    sharing this one session, its retry policy and its time budget.
    """
