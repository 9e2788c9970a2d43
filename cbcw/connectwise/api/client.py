"""The one ConnectWise PSA REST client: auth, versioned Accept, timeouts, logging, paging,
retries for reads, and typed methods for what ChangeBreeze needs (PRODUCT §3).

A `ConnectWiseClient` is cheap: the connection pool, credentials and headers live in its
`Transport`, which `connection.client_for` keeps per organisation. What belongs to one use of
the client (the retry policy and an interactive caller's time budget) lives on the client.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, quote, urlsplit

import orjson
import requests

from cbcw.connectwise.api import errors, shapes
from cbcw.connectwise.api.addresses import AddressPolicy
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.retry import RetryPolicy
from cbcw.connectwise.api.transport import Transport

log = logging.getLogger("cbcw.connectwise")

MAX_PAGE_SIZE = 1000
FORWARD_ONLY = {"pagination-type": "forward-only"}
# ConnectWise asks for URLs under about 2,000 characters (REFERENCE §3.1, §12).
MAX_URL_CHARS = 2000
# A 1000-record page of configurations is a few MB; anything far larger is not ConnectWise.
MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 256 * 1024


NUL_ESCAPE = b"\\u0000"  # how JSON writes U+0000 (a raw control character is not JSON)


def without_nul(value):
    """The decoded answer with every NUL in its strings read as U+FFFD: PostgreSQL text cannot
    hold U+0000, so a configuration, ticket or member name carrying one would fail the sync or
    the page that stores it. Walked only when the body holds the escape, so other answers cost
    nothing."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class ConnectWiseClient:
    """Calls to one ConnectWise site and API member.

    `base_url` is the API root, e.g. `https://api-na.myconnectwise.net/v4_6_release/apis/3.0`.
    Reads are retried per `retry`; writes are never retried (a timed-out POST may have landed).
    With `budget` (seconds), every call made through this client, retries and waits included,
    ends by `budget` seconds after the client was made: an interactive page never holds a
    worker longer than that (PRODUCT §3.1).
    """

    def __init__(self, base_url: str, company_id: str, public_key: str, private_key: str,
                 client_id: str, api_version: str = "2025.1", connect_timeout: float = 5,
                 read_timeout: float = 20, retry: RetryPolicy | None = None, *,
                 budget: float | None = None, address_policy: AddressPolicy | None = None):
        transport = Transport(base_url, company_id, public_key, private_key, client_id, api_version,
                              connect_timeout, read_timeout, address_policy or AddressPolicy(allow_loopback=True),
                              hooks=(_log_response,))
        self._bind(transport, retry, budget)

    @classmethod
    def on(cls, transport: Transport, retry: RetryPolicy | None = None, budget: float | None = None) -> "ConnectWiseClient":
        """A client using a kept transport (see `connection.client_for`)."""
        client = cls.__new__(cls)
        client._bind(transport, retry, budget)
        return client

    def _bind(self, transport: Transport, retry: RetryPolicy | None, budget: float | None) -> None:
        self.transport = transport
        self.retry = retry or RetryPolicy()
        self.budget = budget
        self._deadline = time.monotonic() + budget if budget else None
        # Called before every request; the outbox sets the organisation's pace here (PRODUCT §3.8).
        self.pace = None

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def company_id(self) -> str:
        return self.transport.company_id

    @property
    def timeout(self) -> tuple[float, float]:
        return self.transport.timeout

    @property
    def session(self) -> requests.Session:
        """The calling thread's Session on the kept connection pool."""
        return self.transport.session

    # -- transport -------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict | None = None, json=None):
        """One call; returns the decoded JSON body (None for 204). Raises ConnectWiseError."""
        return self._decode(self._call(method, path, params, json))

    def _call(self, method, path, params=None, json=None, base=None, headers=None) -> requests.Response:
        """Send, retrying only GETs on retryable failures with the policy's backoff.

        The call returns once the headers are in; the body is read by `_decode`. A wait that
        the policy refuses (an interactive caller told to come back later) or that would pass
        the budget ends the call with the error in hand.
        """
        attempts = self.retry.attempts if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._send(method, path, params, json, base, headers)
            except errors.ConnectWiseError as error:
                if not error.retryable or attempt == attempts:
                    raise
                wait = self.retry.delay(attempt, getattr(error, "retry_after", None))
                if wait is None or (self._deadline is not None and time.monotonic() + wait >= self._deadline) \
                        or wait >= remaining_budget(float("inf")):
                    raise
                self.retry.sleep(wait)

    def _send(self, method, path, params, json, base=None, headers=None) -> requests.Response:
        if self.pace is not None:
            self.pace()
        if remaining_budget(1.0) <= 0:
            raise errors.BudgetSpent()
        connect, read = self.timeout
        left = self._time_left()
        if left is not None:
            connect, read = min(connect, left), min(read, left)
        try:
            response = self.session.request(method, (base or self.base_url) + path, params=params, json=json,
                                            headers=headers, timeout=(connect, read), stream=True,
                                            allow_redirects=False)
        except requests.exceptions.SSLError:
            raise errors.TLSError() from None
        except requests.exceptions.Timeout:
            raise self._timeout() from None
        except requests.exceptions.ConnectionError:
            raise errors.Unavailable() from None
        except requests.exceptions.InvalidURL:
            raise errors.BadBaseUrl() from None
        if response.is_redirect or 300 <= response.status_code < 400:
            response.close()
            raise errors.Redirected(status=response.status_code)
        if response.status_code >= 400:
            raise errors.error_from_response(response, self._body(response))
        return response

    def _time_left(self) -> float | None:
        """Seconds left of the budget, this client's or the thread's `time_budget` (None without
        one); raises Timeout once it is spent."""
        thread = remaining_budget(None)
        if self._deadline is None and thread is None:
            return None
        left = min(x for x in (thread, None if self._deadline is None else self._deadline - time.monotonic())
                   if x is not None)
        if left <= 0:
            raise self._timeout()
        return left

    def _timeout(self) -> errors.Timeout:
        """Timeout naming the limit that ended the wait: the budget once spent, else the read timeout."""
        if self._deadline is not None and time.monotonic() >= self._deadline - 0.05:
            return errors.Timeout(seconds=self.budget)
        return errors.Timeout(seconds=self.timeout[1])

    def _body(self, response: requests.Response) -> bytes:
        """The whole body, read within the budget and the size limit; the response is closed."""
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(_CHUNK_BYTES):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise errors.BadResponse(detail="the answer is far larger than any ConnectWise page")
                self._time_left()
                chunks.append(chunk)
        except requests.exceptions.Timeout:
            raise self._timeout() from None
        except requests.exceptions.RequestException:
            raise errors.Unavailable() from None
        finally:
            response.close()
        return b"".join(chunks)

    def _decode(self, response: requests.Response):
        """The JSON body of a 2xx response (None when empty)."""
        content = self._body(response)
        if response.status_code == 204 or not content:
            return None
        try:
            # orjson: a 1000-record page decodes in about half the time of json.loads (see make bench).
            decoded = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise errors.BadResponse(detail=f"HTTP {response.status_code} body is not JSON") from None
        return without_nul(decoded) if NUL_ESCAPE in content else decoded

    def iter_list(self, path: str, conditions: str | None = None, *, order_by: str | None = "id asc",
                  fields: str | None = None, page_size: int = MAX_PAGE_SIZE,
                  prefetch: bool = False) -> Iterator[dict]:
        """Every record of a list endpoint (see `iter_pages`)."""
        for page in self.iter_pages(path, conditions, order_by=order_by, fields=fields, page_size=page_size,
                                    prefetch=prefetch):
            yield from page

    def iter_pages(self, path: str, conditions: str | None = None, *, order_by: str | None = "id asc",
                   fields: str | None = None, page_size: int = MAX_PAGE_SIZE, prefetch: bool = False,
                   forward_only: bool = False) -> Iterator[list[dict]]:
        """Each page of a list endpoint, following `Link: rel="next"` until it is absent.

        Each next page is requested with our own conditions/orderBy/fields/pageSize laid over
        the link's query, so a server that drops them from the link cannot widen the result
        (HealthITAU/pyconnectwise#14). With `prefetch`, the next page is requested on a worker
        thread as soon as this page's headers (and its Link) arrive, while this page's body is
        read, decoded and consumed here: a bulk read then costs about one round trip per page
        instead of round trip + transfer + decode + the caller's work. The worker thread uses
        a Session of its own (`Transport.session` is per thread). A failure while reading a
        streamed body is not retried (the caller, e.g. a sync, retries the run). When the
        caller stops early, the response already requested is closed.

        `forward_only` pages by key (REFERENCE §3.4: ordered by id, each next page is `id >` the
        last id seen), so a record that leaves the result mid-run cannot shift another one across
        a page boundary as page numbers would. Forward-only answers link on even from the last
        page, so the next one is requested once this page's body shows it was full, and a short
        or empty page ends the listing.
        """
        size = min(page_size, MAX_PAGE_SIZE)
        ours = {"pageSize": size}
        for name, value in (("conditions", conditions), ("orderBy", None if forward_only else order_by),
                            ("fields", fields)):
            if value:
                ours[name] = value
        params = {**ours} if forward_only else {**ours, "page": 1}
        headers = FORWARD_ONLY if forward_only else None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cw-prefetch") if prefetch else nullcontext() as pool:
            fetch = ((lambda p: pool.submit(self._call, "GET", path, p, None, None, headers)) if pool
                     else (lambda p: _Done(self._call("GET", path, p, headers=headers))))
            pending = fetch(params)
            try:
                while pending:
                    response, pending = pending.result(), None
                    next_params = _next_page_params(response, ours, params)
                    if next_params and pool and not forward_only:
                        pending = fetch(next_params)
                    records = self._decode(response)
                    if not isinstance(records, list):
                        raise errors.BadResponse(detail="expected a list of records")
                    if not all(isinstance(record, dict) for record in records):
                        raise errors.BadResponse(detail="a record is not an object")
                    more = bool(records) and next_params is not None and not (forward_only and len(records) < size)
                    if more and pool and pending is None:
                        pending = fetch(next_params)
                    if records:
                        yield records
                    if not more:
                        break
                    params, pending = next_params, pending or fetch(next_params)
            finally:
                _close_pending(pending)

    def _first_page(self, path: str, conditions: str, limit: int, order_by: str, fields: str | None = None) -> list[dict]:
        params = {"conditions": conditions, "pageSize": min(limit, MAX_PAGE_SIZE), "orderBy": order_by}
        if fields:
            params["fields"] = fields
        return shapes.records(self.request("GET", path, params=params))

    # -- system ----------------------------------------------------------------------------

    def system_info(self) -> dict:
        """`GET /system/info`: the Test Connection call (version, isCloud, …)."""
        return shapes.obj(self.request("GET", "/system/info"), "system info")

    def company_info(self) -> dict | None:
        """`GET /login/companyinfo/{companyId}` on the site root (REFERENCE §1): the site's codebase
        and version, or None when ConnectWise does not know the company ID."""
        parts = urlsplit(self.base_url)
        path = f"/login/companyinfo/{quote(self.company_id, safe='')}"
        info = self._decode(self._call("GET", path, base=f"{parts.scheme}://{parts.netloc}"))
        return None if info is None else shapes.obj(info, "company info")

    # -- companies -------------------------------------------------------------------------

    def search_companies(self, text: str, limit: int = 25) -> list[dict]:
        """Active companies whose name or identifier contains `text` (typeahead).

        Matches are re-checked here so that a result that does not really contain the text (or
        is deleted) is never offered, whatever the server did with the conditions.
        """
        text = text.strip()
        if not text:
            return []
        conditions = C.and_(C.eq("deletedFlag", False),
                            C.or_(C.contains("name", text), C.contains("identifier", text)))
        found = self._first_page("/company/companies", conditions, limit, "name asc", COMPANY_FIELDS)
        needle = text.lower()
        return [c for c in found if not shapes.flag(c, "deletedFlag")
                and (needle in shapes.text(c, "name").lower() or needle in shapes.text(c, "identifier").lower())]

    def get_company(self, company_id: int) -> dict:
        return shapes.record(self.request("GET", f"/company/companies/{int(company_id)}"), "a company")

    # -- boards and statuses ---------------------------------------------------------------

    def list_boards(self) -> list[dict]:
        """Active service (not project) boards."""
        boards = self.iter_list("/service/boards", C.and_(C.eq("inactiveFlag", False), C.eq("projectFlag", False)))
        return [b for b in map(shapes.record, boards)
                if not shapes.flag(b, "inactiveFlag") and not shapes.flag(b, "projectFlag")]

    def list_board_statuses(self, board_id: int, include_inactive: bool = False) -> list[dict]:
        conditions = None if include_inactive else C.eq("inactive", False)
        statuses = map(shapes.record, self.iter_list(f"/service/boards/{int(board_id)}/statuses", conditions))
        return [s for s in statuses if include_inactive or not shapes.flag(s, "inactive")]

    def find_board_status(self, board_id: int, name: str) -> dict | None:
        """The active status called `name` (case-insensitive) on that board, or None."""
        wanted = name.strip().lower()
        return next((s for s in self.list_board_statuses(board_id) if shapes.text(s, "name").strip().lower() == wanted),
                    None)

    # -- tickets ---------------------------------------------------------------------------

    def search_tickets(self, text: str, company_id: int, board_ids: Iterable[int] | None = None,
                       limit: int = 25) -> list[dict]:
        """Open tickets of one company (optionally on some boards) matching a number or the
        words of a summary, newest first; results are re-checked against all of that."""
        text = text.strip().lstrip("#")
        words = text.split()
        if not words:
            return []
        boards = {int(b) for b in board_ids or ()}
        scope = [C.eq("company/id", int(company_id)), C.eq("closedFlag", False)]
        if boards:
            scope.append(C.in_("board/id", sorted(boards)))
        number = text.isascii() and text.isdigit()  # isdigit() alone accepts "²", which int() refuses
        if number:
            match = C.or_(C.eq("id", int(text)), C.contains("summary", text))
        else:
            match = C.and_(*(C.contains("summary", word) for word in words))
        found = self._first_page("/service/tickets", C.and_(*scope, match), limit, "id desc", TICKET_FIELDS)

        def fits(ticket):
            summary = shapes.text(ticket, "summary").lower()
            return (shapes.reference_id(ticket, "company") == int(company_id) and not shapes.flag(ticket, "closedFlag")
                    and (not boards or shapes.reference_id(ticket, "board") in boards)
                    and ((number and ticket["id"] == int(text)) or all(w.lower() in summary for w in words)))

        return [t for t in found if fits(t)]

    def list_tickets(self, ticket_ids: Iterable[int]) -> list[dict]:
        """The board, status and closed flag of the tickets among these ids that still exist (a
        deleted one is simply absent), in as few listings as the URL length limit allows; each
        record is re-checked against the ids."""
        wanted, fields = sorted({int(t) for t in ticket_ids}), TICKET_STATE_FIELDS
        found = []
        for run in self._runs("/service/tickets", wanted, lambda run: C.in_("id", run), fields):
            found += [t for t in map(shapes.record, self.iter_list("/service/tickets", C.in_("id", run), fields=fields))
                      if t["id"] in run]
        return found

    def get_ticket(self, ticket_id: int) -> dict:
        return shapes.record(self.request("GET", f"/service/tickets/{int(ticket_id)}"), "a ticket")

    def patch_ticket(self, ticket_id: int, operations: list[dict]) -> dict:
        """JSON Patch on top-level, case-sensitive field names (REFERENCE §6)."""
        return self.request("PATCH", f"/service/tickets/{int(ticket_id)}", json=operations)

    def set_ticket_status(self, ticket_id: int, status_id: int) -> dict:
        """Status by id: ids are per board, so resolve with `find_board_status` first."""
        return self.patch_ticket(ticket_id, [replace("status", {"id": int(status_id)})])

    # -- notes -----------------------------------------------------------------------------

    def list_ticket_notes(self, ticket_id: int, conditions: str | None = None) -> list[dict]:
        return [shapes.record(n, "a note") for n in self.iter_list(f"/service/tickets/{int(ticket_id)}/notes", conditions)]

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
        email matches; emails without a member are absent. The emails are sent in as few
        requests as the URL length limit allows (`MAX_URL_CHARS`)."""
        wanted = sorted({e.strip().lower() for e in emails if e and e.strip()})
        if not wanted:
            return {}

        def conditions(run):
            return C.and_(C.or_(C.in_("officeEmail", run), C.in_("primaryEmail", run)),
                          C.eq("inactiveFlag", False), C.ne("licenseClass", "A"))

        matches: dict[str, dict] = {}
        for run in self._runs("/system/members", wanted, conditions, fields=MEMBER_FIELDS):
            for member in self.iter_list("/system/members", conditions(run), fields=MEMBER_FIELDS):
                member = shapes.record(member, "a member")
                if not _is_person(member):
                    continue
                for key in ("officeEmail", "primaryEmail"):
                    email = shapes.text(member, key).lower()
                    if email in run:
                        matches.setdefault(email, member)
        return matches

    def list_members(self) -> list[dict]:
        """Active, non-API members, for picking a member by hand."""
        conditions = C.and_(C.eq("inactiveFlag", False), C.ne("licenseClass", "A"))
        members = map(shapes.record, self.iter_list("/system/members", conditions, fields=MEMBER_FIELDS))
        return [m for m in members if _is_person(m)]

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

    def delete_schedule_entry(self, entry_id: int) -> None:
        self.request("DELETE", f"/schedule/entries/{int(entry_id)}")

    def list_ticket_schedule_entries(self, ticket_id: int) -> list[dict]:
        conditions = C.and_(C.eq("type/identifier", SERVICE_TICKET_SCHEDULE_TYPE), C.eq("objectId", int(ticket_id)))
        return [shapes.record(e, "a schedule entry") for e in self.iter_list("/schedule/entries", conditions)]

    def list_schedule_entries_of_tickets(self, ticket_ids: Iterable[int]) -> list[dict]:
        """The service schedule entries (resources) of these tickets, batched like `list_tickets`."""
        wanted = sorted({int(t) for t in ticket_ids})

        def conditions(run):
            return C.and_(C.eq("type/identifier", SERVICE_TICKET_SCHEDULE_TYPE), C.in_("objectId", run))

        found = []
        for run in self._runs("/schedule/entries", wanted, conditions, SCHEDULE_ENTRY_FIELDS):
            entries = map(shapes.record, self.iter_list("/schedule/entries", conditions(run), fields=SCHEDULE_ENTRY_FIELDS))
            found += [e for e in entries if e.get("objectId") in run]
        return found

    # -- configurations --------------------------------------------------------------------

    def list_configuration_types(self) -> list[dict]:
        return [shapes.record(t, "a configuration type") for t in self.iter_list("/company/configurations/types")]

    def iter_configuration_pages(self, type_ids: Iterable[int], company_ids: Iterable[int] | None = None,
                                 since: datetime | None = None,
                                 page_size: int = MAX_PAGE_SIZE) -> Iterator[list[dict]]:
        """Pages of configurations of those types (and companies; None for every company),
        active or not so a sync can deactivate, optionally only those changed after `since`.

        Paged by key (forward-only) with the next page on its way while the caller works on
        this one; long id lists are split over several listings so no URL passes
        `MAX_URL_CHARS`; each record is re-checked against the ids."""
        types = {int(t) for t in type_ids}
        companies = None if company_ids is None else {int(c) for c in company_ids}
        for conditions in self._configuration_queries(types, companies, since):
            for page in self.iter_pages("/company/configurations", conditions, fields=CONFIGURATION_FIELDS,
                                        page_size=page_size, prefetch=True, forward_only=True):
                yield [c for c in (shapes.record(c, "a configuration") for c in page)
                       if shapes.reference_id(c, "type") in types
                       and (companies is None or shapes.reference_id(c, "company") in companies)]

    def count_configurations(self, type_ids: Iterable[int], company_ids: Iterable[int] | None = None,
                             since: datetime | None = None) -> int:
        types = {int(t) for t in type_ids}
        companies = None if company_ids is None else {int(c) for c in company_ids}
        return sum(shapes.count(self.request("GET", "/company/configurations/count", params={"conditions": conditions}))
                   for conditions in self._configuration_queries(types, companies, since))

    def _configuration_queries(self, types: set[int], companies: set[int] | None,
                               since: datetime | None) -> Iterator[str]:
        """Conditions strings covering every (type, company) pair within the URL limit."""
        path = "/company/configurations"

        def conditions(type_run, company_run):
            return _configuration_conditions(type_run, company_run, since)

        if companies is None:
            yield from (conditions(type_run, None) for type_run in self._runs(
                path, sorted(types), lambda run: conditions(run, None), CONFIGURATION_FIELDS))
            return
        # Type runs leave room for a fair share of company ids (about 40 % of the URL), so that
        # neither list is cut into runs of a few ids each.
        reserve, used = [], 0
        for company in sorted(companies):
            used += len(str(company)) + 3  # an encoded comma per id
            if reserve and used > MAX_URL_CHARS * 2 // 5:
                break
            reserve.append(company)
        for type_run in self._runs(path, sorted(types), lambda run: conditions(run, reserve),
                                   CONFIGURATION_FIELDS):
            yield from (conditions(type_run, company_run)
                        for company_run in self._runs(path, sorted(companies), lambda run: conditions(type_run, run),
                                                      CONFIGURATION_FIELDS))

    # -- URL length ------------------------------------------------------------------------

    def _runs(self, path: str, values: list, build, fields: str | None = None) -> Iterator[list]:
        """Split `values` into consecutive runs whose listing URL, with conditions `build(run)`,
        stays within MAX_URL_CHARS (ConnectWise's IIS answers longer URLs with 404). The URL grows
        with the run, so each run's end is found by bisection (a few URL builds per run)."""
        values, start = list(values), 0
        while start < len(values):
            if self._list_url_length(path, build(values[start:start + 1]), fields) > MAX_URL_CHARS:
                raise errors.ConnectWiseError("A value is too long to send to ConnectWise in one request.")
            fits, too_long = start + 1, len(values) + 1
            while too_long - fits > 1:
                middle = (fits + too_long) // 2
                if self._list_url_length(path, build(values[start:middle]), fields) <= MAX_URL_CHARS:
                    fits = middle
                else:
                    too_long = middle
            yield values[start:fits]
            start = fits

    def _list_url_length(self, path: str, conditions: str, fields: str | None) -> int:
        """Length of the longest URL `iter_list` would send for these conditions."""
        # Numbered pages send orderBy and page; forward-only pages send pageId: measure with both.
        params = {"pageSize": MAX_PAGE_SIZE, "conditions": conditions, "orderBy": "id asc", "page": 999999,
                  "pageId": 10**12}
        if fields:
            params["fields"] = fields
        try:
            return len(requests.Request("GET", self.base_url + path, params=params).prepare().url)
        except requests.exceptions.RequestException:
            raise errors.BadBaseUrl() from None

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


_deadline = threading.local()


@contextmanager
def time_budget(seconds: float | None):
    """Bound every call this thread makes inside the block (timeouts, retry waits, the pace) to
    `seconds` in total, whichever client makes it; a call that would start after the budget is
    spent raises `BudgetSpent` without being sent (the outbox's delivery right after a commit)."""
    previous = getattr(_deadline, "at", None)
    _deadline.at = None if seconds is None else time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = previous


def remaining_budget(default=None):
    """Seconds left in this thread's `time_budget`, or `default` outside one."""
    at = getattr(_deadline, "at", None)
    return default if at is None else at - time.monotonic()


SERVICE_TICKET_SCHEDULE_TYPE = "S"
COMPANY_FIELDS = "id,identifier,name,deletedFlag,_info"
TICKET_FIELDS = "id,summary,board,status,company,closedFlag,_info"
CONFIGURATION_FIELDS = ("id,name,type,company,status,activeFlag,serialNumber,modelNumber,tagNumber,ipAddress,"
                        "osType,osInfo,manufacturer,_info/lastUpdated")
TICKET_STATE_FIELDS = "id,board,status,closedFlag"
SCHEDULE_ENTRY_FIELDS = "id,objectId,type,member,name,dateStart,dateEnd"
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
    return [part.strip() for part in shapes.text(ticket, "resources").split(",") if part.strip()]


def _configuration_conditions(type_ids, company_ids, since) -> str:
    parts = [C.in_("type/id", [int(t) for t in type_ids])]
    if company_ids is not None:
        parts.append(C.in_("company/id", [int(c) for c in company_ids]))
    if since is not None:
        parts.append(C.gt("_info/lastUpdated", since))
    return C.and_(*parts)


def _is_person(member: dict) -> bool:
    """Re-check what the conditions asked for: active and not an API member."""
    return not shapes.flag(member, "inactiveFlag") and member.get("licenseClass") != "A"


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


def _close_pending(pending) -> None:
    """Close a page that was requested but will not be read (the caller stopped early, or the
    page before it failed), so its connection goes back to the pool."""
    if pending is None:
        return
    try:
        response = pending.result()
    except errors.ConnectWiseError:
        return
    response.close()


def _log_response(response: requests.Response, *args, **kwargs) -> None:
    """One key=value line per call, like the request log; the path only (no query, no headers), so
    no secret is logged."""
    log.info("method=%s path=%s status=%s ms=%.0f", response.request.method, urlsplit(response.request.url).path,
             response.status_code, response.elapsed.total_seconds() * 1000)
