"""Every error is the product's own page; an HTMX request gets the message alone (PRODUCT §4).

Before anything is rendered the database session is rolled back: the page itself reads the
current user, and a session left in a failed transaction would fail the error page too
(`PendingRollbackError`) and end as a bare 500.
"""
import logging

from flask import Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from cbcw.extensions import db, htmx
from cbcw.main.partials import wants_partial
from cbcw.sqlite_locks import stop_waiting_in_this_request

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in to continue.",
    403: "You do not have permission to do that.",
    404: "That page does not exist.",
    405: "That address cannot be opened this way. Go back and use the page's buttons and forms.",
    413: "That request is too large. Shorten the text and try again.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The database is busy or unavailable. Wait a moment and try again.",
}
CSRF_MESSAGE = "Your form expired or was sent from elsewhere. Reload the page and try again."
CSRF_HTMX_MESSAGE = "Your session expired; reload the page."
OUT_OF_RANGE_MESSAGE = "A number in the request is out of range."
BUSY_RETRY_AFTER_SECONDS = 5
# Used only when the styled page itself cannot be rendered: no template, no database.
PLAIN_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{code} · ChangeBreeze</title>'
    '<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="container">'
    '<section class="card narrow"><h1>{code}</h1><p>{message}</p><p><a href="/">Back to changes</a></p>'
    "</section></main></body></html>"
)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(InternalServerError, _internal_error)


def error_response(code: int, message: str | None = None, headers: dict | None = None) -> Response:
    """The styled page (or, for HTMX, a fragment holding the message) with this status."""
    _rollback()
    message = message or MESSAGES.get(code) or MESSAGES[500]
    template = "errors/_message.html" if wants_partial() else "errors/error.html"
    try:
        body = render_template(template, code=code, message=message)
    except Exception:  # noqa: BLE001 - the page must never fail twice; fall back to bare markup
        log.exception("error page %s could not be rendered", code)
        body = PLAIN_PAGE.format(code=code, message=escape(message))
    response = make_response(body, code)
    response.headers.update(headers or {})
    response.vary.add("HX-Request")
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a lost connection cannot even roll back; render anyway
        log.exception("rollback before the error page failed")


def _csrf_error(error: CSRFError) -> Response:
    return error_response(400, CSRF_HTMX_MESSAGE if htmx else CSRF_MESSAGE)


def _http_error(error: HTTPException) -> Response:
    if error.code is None or error.code < 400:
        return error  # redirects raised as exceptions (e.g. RequestRedirect) pass through
    headers = {}
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    retry_after = error.response.headers.get("Retry-After") if error.response is not None else None
    if retry_after:
        headers["Retry-After"] = retry_after
    own_words = error.description != type(error).description  # abort(code, "…") says what went wrong
    return error_response(error.code, error.description if own_words else MESSAGES.get(error.code) or error.description,
                          headers)


def _database_unavailable(error: OperationalError) -> Response:
    """A locked SQLite file or a lost PostgreSQL connection: 503, try again later."""
    log.error("database unavailable during %s %s: %s", request.method, request.path, error.orig)
    stop_waiting_in_this_request()  # the page must not wait for the lock all over again
    return error_response(503, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})


def _out_of_range(error: Exception) -> Response:
    """A number from the request beyond what a database column holds (SQLite raises
    OverflowError binding it) is the request's fault, not ours."""
    return error_response(400, OUT_OF_RANGE_MESSAGE)


def _data_error(error: DataError) -> Response:
    """PostgreSQL's numeric_value_out_of_range is the same case; any other DataError is ours."""
    if getattr(getattr(error.orig, "diag", None), "sqlstate", None) == "22003":
        return _out_of_range(error)
    log.error("database error during %s %s", request.method, request.path, exc_info=error)
    return error_response(500)


def _internal_error(error: InternalServerError) -> Response:
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.error("unhandled error during %s %s", request.method, request.path, exc_info=original)
    return error_response(500)
