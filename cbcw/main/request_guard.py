"""Requests refused before any view sees them (PRODUCT §4).

- A body without a declared length (chunked): Werkzeug would cut it at MAX_CONTENT_LENGTH and
  hand the view the first 2 MB as if that were all; browsers and htmx always send the length.
- A NUL character in a query or form value: PostgreSQL text cannot hold it (the insert would
  fail as a 500), SQLite would store it, and no field of the product has a use for it.
"""
from flask import Flask, abort, request

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


def _holds_nul(values) -> bool:
    return any(NUL in key or any(NUL in value for value in values.getlist(key)) for key in values)
