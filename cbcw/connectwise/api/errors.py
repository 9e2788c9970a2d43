"""ConnectWise failures as one small hierarchy whose messages can be shown to a user.

Messages never contain credentials: they are built from the status, ConnectWise's own
`code`/`message`, and fixed advice. A server's own words are passed on only when its answer has
the shape of a ConnectWise error body (a JSON object with a string `code` or `error` and a
string `message`), cut to `MAX_DETAIL_CHARS`: any other server's text could describe an
internal service it should never have been asked about.
"""
from __future__ import annotations

import math
from urllib.parse import urlsplit

import orjson

from cbcw.connectwise.api import capabilities

MAX_DETAIL_CHARS = 200


class ConnectWiseError(Exception):
    """Base class: `.status` is the HTTP status (None without a response), `.retryable` says
    whether the same request may succeed later."""

    default_message = "ConnectWise request failed."
    retryable = False

    def __init__(self, message: str | None = None, *, status: int | None = None,
                 code: str | None = None, detail: str | None = None):
        self.status = status
        self.code = code
        self.detail = detail
        text = message or self.default_message
        if detail:
            text = f"{text} (ConnectWise said: {detail})"
        super().__init__(text)

    @property
    def message(self) -> str:
        return str(self)


class AuthenticationError(ConnectWiseError):
    default_message = "ConnectWise rejected the credentials: check the company ID and API keys."


class PermissionDenied(ConnectWiseError):
    """403. `.capability` names what the API member's role lacks when ConnectWise said `Security`
    about a call the integration knows (`capabilities.for_call`)."""

    default_message = ("ConnectWise refused access: the API member's security role lacks "
                       "permission for this action.")

    def __init__(self, message: str | None = None, *, capability=None, **kwargs):
        if message is None and capability is not None:
            message = (f"ConnectWise refused: the API member's security role may not {capability.words} "
                       f"(grant {capability.setting} in System → Security Roles).")
        super().__init__(message, **kwargs)
        self.capability = capability


class NotFound(ConnectWiseError):
    default_message = ("ConnectWise could not find this record or path: it may have been deleted, "
                       "or the Base URL may be wrong.")

    @property
    def record_gone(self) -> bool:
        """ConnectWise's own answer that the record does not exist (code "NotFound"), as opposed to
        a 404 page for an address that is not the API (a wrong Base URL)."""
        return self.code == "NotFound"


class ValidationFailed(ConnectWiseError):
    """400: ConnectWise refused the request. `.errors` is ConnectWise's `errors[]` list."""

    default_message = "ConnectWise refused the request as invalid."

    def __init__(self, message: str | None = None, *, errors: list | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.errors = errors or []


class Conflict(ConnectWiseError):
    default_message = "ConnectWise reported a conflict: the record is in use or was changed."


class RateLimited(ConnectWiseError):
    """429: `.retry_after` is ConnectWise's Retry-After in seconds (None when absent)."""

    default_message = "ConnectWise is rate limiting; try again shortly."
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs):
        if message is None and retry_after is not None:
            message = f"ConnectWise is rate limiting; try again in {max(1, math.ceil(retry_after))} s."
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(ConnectWiseError):
    default_message = "ConnectWise is unreachable or unavailable: try again later."
    retryable = True


class Timeout(ConnectWiseError):
    """`.seconds`: the limit that was reached (None when unknown)."""

    default_message = "ConnectWise did not answer in time."
    retryable = True

    def __init__(self, message: str | None = None, *, seconds: float | None = None, **kwargs):
        if message is None and seconds:
            message = f"ConnectWise did not answer within {seconds:g} seconds."
        super().__init__(message, **kwargs)
        self.seconds = seconds


class BudgetSpent(ConnectWiseError):
    """The caller's time budget ran out before the request was sent (nothing reached ConnectWise)."""

    default_message = "Not sent yet: the time allowed for this attempt ran out; it will be retried."
    retryable = True


class TLSError(ConnectWiseError):
    default_message = ("The secure (TLS) connection to ConnectWise failed: check the Base URL and "
                       "the server's certificate.")


class BadResponse(ConnectWiseError):
    default_message = "ConnectWise sent a response this application could not understand."


class Redirected(ConnectWiseError):
    """A 3xx: redirects are never followed (the stored key must not travel to another address)."""

    default_message = "The server answered with a redirect: the Base URL is not a ConnectWise API address."


class BadBaseUrl(ConnectWiseError):
    default_message = "The Base URL is not a valid address: check it in the ConnectWise settings."


class KeyUnreadable(ConnectWiseError):
    """A stored key no configured encryption key decrypts (CBCW_ENCRYPTION_KEYS lost one)."""

    default_message = "The stored key can no longer be read; enter it again."


_BY_STATUS = {400: ValidationFailed, 401: AuthenticationError, 403: PermissionDenied,
              404: NotFound, 409: Conflict}


def error_from_response(response, content: bytes | None = None) -> ConnectWiseError:
    """Map a non-2xx `requests.Response` (whose body is `content`, already read) to the matching
    error, keeping CW's code and message when the body is a ConnectWise error body."""
    status = response.status_code
    body = cw_error_body(response.content if content is None else content)
    # ConnectWise's 429 body uses "error" instead of "code" (REFERENCE §12).
    code, detail, errors = body.get("code") or body.get("error"), body.get("message"), body.get("errors")
    if status == 429:
        return RateLimited(status=status, code=code, detail=detail,
                           retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        return Unavailable(status=status, code=code, detail=detail)
    error_class = _BY_STATUS.get(status, ConnectWiseError)
    if status == 403 and code == "Security":
        return PermissionDenied(status=status, code=code, detail=detail, capability=_capability_of(response))
    if error_class is ValidationFailed:
        return ValidationFailed(status=status, code=code, detail=_validation_detail(detail, errors),
                                errors=errors if isinstance(errors, list) else [])
    return error_class(status=status, code=code, detail=detail)


def _capability_of(response):
    """What the refused call needed, from its method and the path below `/apis/3.0`."""
    request = getattr(response, "request", None)
    url = getattr(request, "url", None) or ""
    path = urlsplit(url).path
    marker = path.lower().find("/apis/3.0/")
    if marker < 0 or not getattr(request, "method", None):
        return None
    return capabilities.for_call(request.method, path[marker + len("/apis/3.0"):])


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; ConnectWise sends delta-seconds (an HTTP-date is ignored)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def _validation_detail(message: str | None, errors) -> str | None:
    """CW's top message ("ticket object is invalid") plus each field error's message."""
    parts = [message] if message else []
    if isinstance(errors, list):
        parts += [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
    return "; ".join(parts)[:MAX_DETAIL_CHARS] or None


def cw_error_body(content: bytes) -> dict:
    """The body as {code, message, errors} when it has ConnectWise's error shape, else {}."""
    try:
        body = orjson.loads(content or b"null")
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return {}
    code = body.get("code") if isinstance(body.get("code"), str) else body.get("error")
    if not isinstance(code, str):
        return {}
    return {"code": code[:MAX_DETAIL_CHARS], "message": body["message"][:MAX_DETAIL_CHARS],
            "errors": body.get("errors") if isinstance(body.get("errors"), list) else None}
