"""The HTTP mechanics of every ConnectWise call: send through the kept `Transport`, map failures
to `errors`, retry reads, keep to a time budget, page through listings and keep URLs short.

An `ApiSession` is cheap: the connection pool, credentials and headers (versioned `Accept`,
`clientId`, basic auth) live in its `Transport`, which `connection.client_for` keeps per
organisation. What belongs to one use (the retry policy and an interactive caller's time budget)
lives on the session. It knows no endpoint: the typed calls are in `endpoints/`.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Iterator, Self
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
import urllib3

from cbcw.connectwise.api import errors, shapes
from cbcw.connectwise.api.addresses import AddressPolicy
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


class ApiSession:
    """Calls to one ConnectWise site and API member.

    `base_url` is the API root, e.g. `https://api-na.myconnectwise.net/v4_6_release/apis/3.0`.
    Reads are retried per `retry`; writes are never retried (a timed-out POST may have landed).
    With `budget` (seconds), every call made through this session, retries and waits included,
    ends by `budget` seconds after the session was made: an interactive page never holds a
    worker longer than that (PRODUCT §3.1).
    """

    def __init__(self, base_url: str, company_id: str, public_key: str, private_key: str,
                 client_id: str, api_version: str = "2025.1", connect_timeout: float = 5,
                 read_timeout: float = 20, retry: RetryPolicy | None = None, *,
                 budget: float | None = None, address_policy: AddressPolicy | None = None):
        transport = Transport(base_url, company_id, public_key, private_key, client_id, api_version,
                              connect_timeout, read_timeout, address_policy or AddressPolicy(allow_loopback=True),
                              hooks=(log_response,))
        self._bind(transport, retry, budget)

    @classmethod
    def on(cls, transport: Transport, retry: RetryPolicy | None = None, budget: float | None = None) -> Self:
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

    # -- one call --------------------------------------------------------------------------

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
        """The whole body, read within the budget and the size limit; the response is closed.

        Under a budget the body is read as it arrives (`read1`: one receive at a most), each
        receive waiting no longer than what is left, so a server that sends its headers and then
        trickles the body, a byte a second, is cut when the budget ends (PRODUCT §3.1): a read
        timeout alone restarts with every byte. Without a budget (background work) the read
        timeout per receive is the only limit, as before.
        """
        chunks, size = [], 0
        try:
            for chunk in self._chunks(response):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise errors.BadResponse(detail="the answer is far larger than any ConnectWise page")
                self._time_left()
                chunks.append(chunk)
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
            raise self._timeout() from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError):
            raise errors.Unavailable() from None
        finally:
            response.close()
        return b"".join(chunks)

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        if self._time_left() is None:
            yield from response.iter_content(_CHUNK_BYTES)
            return
        raw = response.raw
        while True:
            left = self._time_left()
            sock = getattr(getattr(raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(max(0.01, min(self.timeout[1], left)))
            chunk = raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                return
            yield chunk

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

    # -- listings --------------------------------------------------------------------------

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
        ours = _listing_params(size, conditions, None if forward_only else order_by, fields)
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
                    records = self._page_records(response)
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

    def _page_records(self, response: requests.Response) -> list[dict]:
        """The records of one listing page: a JSON list of objects."""
        records = self._decode(response)
        if not isinstance(records, list):
            raise errors.BadResponse(detail="expected a list of records")
        if not all(isinstance(record, dict) for record in records):
            raise errors.BadResponse(detail="a record is not an object")
        return records

    def _first_page(self, path: str, conditions: str, limit: int, order_by: str, fields: str | None = None) -> list[dict]:
        params = {"conditions": conditions, "pageSize": min(limit, MAX_PAGE_SIZE), "orderBy": order_by}
        if fields:
            params["fields"] = fields
        return shapes.records(self.request("GET", path, params=params))

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


def _listing_params(size: int, conditions: str | None, order_by: str | None, fields: str | None) -> dict:
    """The query a listing keeps on every page, laid over each next-page link."""
    ours = {"pageSize": size}
    for name, value in (("conditions", conditions), ("orderBy", order_by), ("fields", fields)):
        if value:
            ours[name] = value
    return ours


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


def log_response(response: requests.Response, *args, **kwargs) -> None:
    """One key=value line per call, like the request log; the path only (no query, no headers), so
    no secret is logged. A response hook of every `Transport` (see `connection.client_for`)."""
    log.info("method=%s path=%s status=%s ms=%.0f", response.request.method, urlsplit(response.request.url).path,
             response.status_code, response.elapsed.total_seconds() * 1000)
