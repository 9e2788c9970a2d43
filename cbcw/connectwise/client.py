"""The one ConnectWise PSA REST client: auth, versioned Accept, timeouts, logging, paging,
retries for reads, and typed methods for what ChangeBreeze needs (PRODUCT §3)."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timezone
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
import requests

from cbcw.connectwise import errors
from cbcw.connectwise.conditions import C
from cbcw.connectwise.retry import RetryPolicy

log = logging.getLogger("cbcw.connectwise")

MAX_PAGE_SIZE = 1000
_RETRYABLE_STATUSES = {429, 500, 502, 503, 504}


class ConnectWiseClient:
    """A `requests.Session` bound to one ConnectWise site and API member.

    `base_url` is the API root, e.g. `https://api-na.myconnectwise.net/v4_6_release/apis/3.0`.
    Reads are retried per `retry`; writes are never retried (a timed-out POST may have landed).
    """

    def __init__(self, base_url: str, company_id: str, public_key: str, private_key: str,
                 client_id: str, api_version: str = "2025.1", connect_timeout: float = 5,
                 read_timeout: float = 20, retry: RetryPolicy | None = None):
        self.base_url = base_url.rstrip("/")
        self.company_id = company_id
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()
        self.session.auth = (f"{company_id}+{public_key}", private_key)
        self.session.headers.update({
            "clientId": client_id,
            "Accept": f"application/vnd.connectwise.com+json; version={api_version}",
        })
        self.session.hooks["response"].append(_log_response)

    # -- transport -------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict | None = None, json=None):
        """One call; returns the decoded JSON body (None for 204). Raises ConnectWiseError."""
        return _decode(self._call(method, path, params, json))

    def _call(self, method, path, params=None, json=None, stream=False, base=None) -> requests.Response:
        """Send, retrying only GETs on retryable failures with the policy's backoff.

        With `stream` the call returns once the headers are in; the body is read by `_decode`.
        """
        attempts = self.retry.attempts if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._send(method, path, params, json, stream, base)
            except errors.ConnectWiseError as error:
                if not error.retryable or attempt == attempts:
                    raise
                self.retry.sleep(self.retry.delay(attempt, getattr(error, "retry_after", None)))

    def _send(self, method, path, params, json, stream=False, base=None) -> requests.Response:
        try:
            response = self.session.request(method, (base or self.base_url) + path, params=params, json=json,
                                            timeout=self.timeout, stream=stream)
        except requests.exceptions.SSLError:
            raise errors.TLSError() from None
        except requests.exceptions.Timeout:
            raise errors.Timeout() from None
        except requests.exceptions.ConnectionError:
            raise errors.Unavailable() from None
        if response.status_code >= 400:
            raise errors.error_from_response(response)
        return response

    def iter_list(self, path: str, conditions: str | None = None, *, order_by: str | None = "id asc",
                  fields: str | None = None, page_size: int = MAX_PAGE_SIZE,
                  prefetch: bool = False) -> Iterator[dict]:
        """Every record of a list endpoint, following `Link: rel="next"` until it is absent.

        Each next page is requested with our own conditions/orderBy/fields/pageSize laid over
        the link's query, so a server that drops them from the link cannot widen the result
        (HealthITAU/pyconnectwise#14). With `prefetch`, the next page is requested on a worker
        thread as soon as this page's headers (and its Link) arrive, while this page's body is
        read, decoded and consumed here: a bulk read then costs about one round trip per page
        instead of round trip + transfer + decode + the caller's work. A failure while reading
        a streamed body is not retried (the caller, e.g. a sync, retries the run).
        """
        ours = {"pageSize": min(page_size, MAX_PAGE_SIZE)}
        for name, value in (("conditions", conditions), ("orderBy", order_by), ("fields", fields)):
            if value:
                ours[name] = value
        params = {**ours, "page": 1}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cw-prefetch") if prefetch else nullcontext() as pool:
            fetch = ((lambda p: pool.submit(self._call, "GET", path, p, None, True)) if pool
                     else (lambda p: _Done(self._call("GET", path, p))))
            pending = fetch(params)
            while pending:
                response = pending.result()
                next_params = _next_page_params(response, ours, params)
                upcoming = fetch(next_params) if next_params and pool else None
                records = _decode(response)
                if not isinstance(records, list):
                    raise errors.BadResponse(detail="expected a list of records")
                yield from records
                if not records or not next_params:
                    break
                params, pending = next_params, upcoming or fetch(next_params)

    def _first_page(self, path: str, conditions: str, limit: int, order_by: str, fields: str | None = None):
        params = {"conditions": conditions, "pageSize": min(limit, MAX_PAGE_SIZE), "orderBy": order_by}
        if fields:
            params["fields"] = fields
        return self.request("GET", path, params=params)

    # -- system ----------------------------------------------------------------------------

    def system_info(self) -> dict:
        """`GET /system/info`: the Test Connection call (version, isCloud, …)."""
        return self.request("GET", "/system/info")

    def company_info(self) -> dict | None:
        """`GET /login/companyinfo/{companyId}` on the site root (REFERENCE §1): the site's codebase
        and version, or None when ConnectWise does not know the company ID."""
        parts = urlsplit(self.base_url)
        path = f"/login/companyinfo/{quote(self.company_id, safe='')}"
        return _decode(self._call("GET", path, base=f"{parts.scheme}://{parts.netloc}"))

    # -- companies -------------------------------------------------------------------------

    def search_companies(self, text: str, limit: int = 25) -> list[dict]:
        """Active companies whose name or identifier contains `text` (typeahead).

        Matches are re-checked here so that however ConnectWise treats `%`, `*` or quotes
        inside `contains`, a result that does not really contain the text is never offered.
        """
        text = text.strip()
        if not text:
            return []
        conditions = C.and_(C.eq("deletedFlag", False),
                            C.or_(C.contains("name", text), C.contains("identifier", text)))
        found = self._first_page("/company/companies", conditions, limit, "name asc", COMPANY_FIELDS)
        needle = text.lower()
        return [c for c in found if needle in c.get("name", "").lower() or needle in c.get("identifier", "").lower()]

    def get_company(self, company_id: int) -> dict:
        return self.request("GET", f"/company/companies/{int(company_id)}")

    # -- boards and statuses ---------------------------------------------------------------

    def list_boards(self) -> list[dict]:
        """Active service (not project) boards."""
        return list(self.iter_list("/service/boards", C.and_(C.eq("inactiveFlag", False), C.eq("projectFlag", False))))

    def list_board_statuses(self, board_id: int, include_inactive: bool = False) -> list[dict]:
        conditions = None if include_inactive else C.eq("inactive", False)
        return list(self.iter_list(f"/service/boards/{int(board_id)}/statuses", conditions))

    def find_board_status(self, board_id: int, name: str) -> dict | None:
        """The active status called `name` (case-insensitive) on that board, or None."""
        wanted = name.strip().lower()
        return next((s for s in self.list_board_statuses(board_id) if s.get("name", "").lower() == wanted), None)

    # -- tickets ---------------------------------------------------------------------------

    def search_tickets(self, text: str, company_id: int, board_ids: Iterable[int] | None = None,
                       limit: int = 25) -> list[dict]:
        """Open tickets of one company (optionally on some boards) matching a number or the
        words of a summary, newest first."""
        text = text.strip().lstrip("#")
        words = text.split()
        if not words:
            return []
        scope = [C.eq("company/id", int(company_id)), C.eq("closedFlag", False)]
        if board_ids:
            scope.append(C.in_("board/id", [int(b) for b in board_ids]))
        if text.isdigit():
            match = C.or_(C.eq("id", int(text)), C.contains("summary", text))
        else:
            match = C.and_(*(C.contains("summary", word) for word in words))
        found = self._first_page("/service/tickets", C.and_(*scope, match), limit, "id desc", TICKET_FIELDS)
        return [t for t in found if (text.isdigit() and t.get("id") == int(text))
                or all(w.lower() in t.get("summary", "").lower() for w in words)]

    def get_ticket(self, ticket_id: int) -> dict:
        return self.request("GET", f"/service/tickets/{int(ticket_id)}")

    def patch_ticket(self, ticket_id: int, operations: list[dict]) -> dict:
        """JSON Patch on top-level, case-sensitive field names (REFERENCE §6)."""
        return self.request("PATCH", f"/service/tickets/{int(ticket_id)}", json=operations)

    def set_ticket_status(self, ticket_id: int, status_id: int) -> dict:
        """Status by id: ids are per board, so resolve with `find_board_status` first."""
        return self.patch_ticket(ticket_id, [replace("status", {"id": int(status_id)})])

    # -- notes -----------------------------------------------------------------------------

    def list_ticket_notes(self, ticket_id: int, conditions: str | None = None) -> list[dict]:
        return list(self.iter_list(f"/service/tickets/{int(ticket_id)}/notes", conditions))

    def create_ticket_note(self, ticket_id: int, text: str, *, internal_analysis: bool = True,
                           detail_description: bool = False, resolution: bool = False,
                           process_notifications: bool = False, member_id: int | None = None) -> dict:
        """A note; by default internal and silent (PRODUCT §3.7). One display flag must be true."""
        body = {"text": text, "internalAnalysisFlag": internal_analysis,
                "detailDescriptionFlag": detail_description, "resolutionFlag": resolution,
                "processNotifications": process_notifications}
        if member_id is not None:
            body["member"] = {"id": int(member_id)}
        return self.request("POST", f"/service/tickets/{int(ticket_id)}/notes", json=body)

    def patch_ticket_note(self, ticket_id: int, note_id: int, operations: list[dict]) -> dict:
        return self.request("PATCH", f"/service/tickets/{int(ticket_id)}/notes/{int(note_id)}", json=operations)

    # -- members ---------------------------------------------------------------------------

    def find_members_by_emails(self, emails: Iterable[str]) -> dict[str, dict]:
        """{lower-cased email: member} for active, non-API members whose office or primary
        email matches, in ONE request; emails without a member are absent."""
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        if not wanted:
            return {}
        conditions = C.and_(C.or_(C.in_("officeEmail", wanted), C.in_("primaryEmail", wanted)),
                            C.eq("inactiveFlag", False), C.ne("licenseClass", "A"))
        matches: dict[str, dict] = {}
        for member in self.iter_list("/system/members", conditions, fields=MEMBER_FIELDS):
            if not _is_person(member):
                continue
            for key in ("officeEmail", "primaryEmail"):
                email = (member.get(key) or "").lower()
                if email in wanted:
                    matches.setdefault(email, member)
        return matches

    def list_members(self) -> list[dict]:
        """Active, non-API members, for picking a member by hand."""
        conditions = C.and_(C.eq("inactiveFlag", False), C.ne("licenseClass", "A"))
        return [m for m in self.iter_list("/system/members", conditions, fields=MEMBER_FIELDS) if _is_person(m)]

    # -- schedule entries ------------------------------------------------------------------

    def create_schedule_entry(self, ticket_id: int, member_id: int, *, start: datetime | None = None,
                              end: datetime | None = None, name: str | None = None) -> dict:
        """Make the member a resource of the ticket (type S); without dates it is unscheduled."""
        body = {"objectId": int(ticket_id), "type": {"identifier": SERVICE_TICKET_SCHEDULE_TYPE},
                "member": {"id": int(member_id)}, "allowScheduleConflictsFlag": True}
        if name:
            body["name"] = name
        if start:
            body["dateStart"] = iso(start)
        if end:
            body["dateEnd"] = iso(end)
        return self.request("POST", "/schedule/entries", json=body)

    def update_schedule_entry(self, entry_id: int, operations: list[dict]) -> dict:
        return self.request("PATCH", f"/schedule/entries/{int(entry_id)}", json=operations)

    def list_ticket_schedule_entries(self, ticket_id: int) -> list[dict]:
        conditions = C.and_(C.eq("type/identifier", SERVICE_TICKET_SCHEDULE_TYPE), C.eq("objectId", int(ticket_id)))
        return list(self.iter_list("/schedule/entries", conditions))

    # -- configurations --------------------------------------------------------------------

    def list_configuration_types(self) -> list[dict]:
        return list(self.iter_list("/company/configurations/types"))

    def iter_configurations(self, type_ids: Iterable[int], company_ids: Iterable[int],
                            since: datetime | None = None) -> Iterator[dict]:
        """Configurations of those types and companies (active or not, so a sync can deactivate),
        optionally only those changed after `since`."""
        return self.iter_list("/company/configurations", _configuration_conditions(type_ids, company_ids, since),
                              prefetch=True)

    def count_configurations(self, type_ids: Iterable[int], company_ids: Iterable[int],
                             since: datetime | None = None) -> int:
        conditions = _configuration_conditions(type_ids, company_ids, since)
        return self.request("GET", "/company/configurations/count", params={"conditions": conditions})["count"]

    # -- time ------------------------------------------------------------------------------

    def create_time_entry(self, ticket_id: int, member_id: int, time_start: datetime,
                          time_end: datetime | None = None, *, notes: str = "",
                          billable_option: str | None = None) -> dict:
        """Time charged to a service ticket as that member (PRODUCT §3.6)."""
        body = {"chargeToId": int(ticket_id), "chargeToType": "ServiceTicket", "member": {"id": int(member_id)},
                "timeStart": iso(time_start), "notes": notes}
        if time_end:
            body["timeEnd"] = iso(time_end)
        if billable_option:
            body["billableOption"] = billable_option
        return self.request("POST", "/time/entries", json=body)


SERVICE_TICKET_SCHEDULE_TYPE = "S"
COMPANY_FIELDS = "id,identifier,name,deletedFlag,_info"
TICKET_FIELDS = "id,summary,board,status,company,closedFlag,_info"
MEMBER_FIELDS = "id,identifier,firstName,lastName,officeEmail,primaryEmail,inactiveFlag,licenseClass,_info"


def replace(path: str, value) -> dict:
    """One JSON Patch `replace` operation."""
    return {"op": "replace", "path": path, "value": value}


def iso(moment: datetime) -> str:
    """A body datetime: UTC ISO-8601 with `Z`, no brackets (brackets are for conditions only)."""
    if moment.tzinfo is None:
        raise ValueError("datetimes sent to ConnectWise must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket_resource_identifiers(ticket: dict) -> list[str]:
    """Member identifiers in `Ticket.resources` (a comma-separated string, REFERENCE §9)."""
    return [part.strip() for part in (ticket.get("resources") or "").split(",") if part.strip()]


def _configuration_conditions(type_ids, company_ids, since) -> str:
    parts = [C.in_("type/id", [int(t) for t in type_ids]), C.in_("company/id", [int(c) for c in company_ids])]
    if since is not None:
        parts.append(C.gt("_info/lastUpdated", since))
    return C.and_(*parts)


def _is_person(member: dict) -> bool:
    """Re-check what the conditions asked for: active and not an API member."""
    return not member.get("inactiveFlag") and member.get("licenseClass") != "A"


class _Done:
    """A result already in hand, shaped like a Future (the no-prefetch path of iter_list)."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


def _next_page_params(response: requests.Response, ours: dict, current: dict) -> dict | None:
    next_url = response.links.get("next", {}).get("url")
    if not next_url:
        return None
    params = {**dict(parse_qsl(urlsplit(next_url).query)), **ours}
    if params == current:
        raise errors.BadResponse(detail="the next-page link repeats the current page")
    return params


def _decode(response: requests.Response):
    try:
        content = response.content  # read here for streamed responses
    except requests.exceptions.Timeout:
        raise errors.Timeout() from None
    except requests.exceptions.RequestException:
        raise errors.Unavailable() from None
    if response.status_code == 204 or not content:
        return None
    try:
        # orjson: a 1000-record page decodes in about half the time of json.loads (see make bench).
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        raise errors.BadResponse(detail=f"HTTP {response.status_code} body is not JSON") from None


def _log_response(response: requests.Response, *args, **kwargs) -> None:
    """One line per call; the path only (no query, no headers), so no secret is logged."""
    log.info("%s %s %s %.0fms", response.request.method, urlsplit(response.request.url).path,
             response.status_code, response.elapsed.total_seconds() * 1000)
