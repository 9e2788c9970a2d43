"""Requests refused before any view sees them (PRODUCT §4).

- A body without a declared length (chunked): Werkzeug would cut it at MAX_CONTENT_LENGTH and
  hand the view the first 2 MB as if that were all; browsers and htmx always send the length.
- A NUL character in a query or form value: PostgreSQL text cannot hold it (the insert would
  fail as a 500), SQLite would store it, and no field of the product has a use for it.
- A form field over MAX_FORM_MEMORY_SIZE bytes (MAX_FIELD_BYTES): Werkzeug enforces it while
  parsing a multipart form only; an url-encoded body is read whole, so its fields are measured
  here, and either way the answer is the same 413.
"""
from flask import Flask, abort, current_app, request

NUL = "\x00"
NO_LENGTH_MESSAGE = "Send the request with its length (Content-Length); a body of unknown length is not accepted."
NUL_MESSAGE = "The request contains a NUL character, which no field accepts. Remove it and try again."


def init_app(app: Flask) -> None:
    app.before_request(refuse_hostile_requests)


def refuse_hostile_requests() -> None:
    if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        abort(411, NO_LENGTH_MESSAGE)
    if _holds_nul(request.args) or (request.method != "GET" and _holds_nul(request.form)):
        abort(400, NUL_MESSAGE)
    if request.method != "GET" and _holds_oversized(request.form, current_app.config["MAX_FORM_MEMORY_SIZE"]):
        abort(413)


def _holds_nul(values) -> bool:
    return any(NUL in key or any(NUL in value for value in values.getlist(key)) for key in values)


def _holds_oversized(values, limit: int | None) -> bool:
    """Whether a name or value is longer than `limit` bytes (in UTF-8, as the browser sent it)."""
    if limit is None:
        return False
    return any(_size(text) > limit for key in values for text in (key, *values.getlist(key)))


def _size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
