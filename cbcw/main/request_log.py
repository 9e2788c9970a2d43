"""One log line per request, as key=value pairs a log pipeline can parse without secrets in it.

The path is logged without its query string (search words, tokens); a path that itself holds a
secret is logged as the view names it in `g.log_path` (an integration's callback address) or, when
its URL rule takes a `token` (a private feed's URL), as its rule (`/calendar/feed/<token>.ics`). The
user is the one Flask-Login already loaded for the request: logging never adds a database query.

This line replaces the servers' own request lines, which hold the full URL (tokens included):
gunicorn runs without an access log (deploy/), and werkzeug's development server's request lines
are dropped by `WerkzeugRequestLines` (its other messages, such as the address it serves, stay).
"""
import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("cbcw.request")
WERKZEUG_REQUEST_LINE = '"%s" %s %s'  # werkzeug.serving.WSGIRequestHandler.log_request's format


class WerkzeugRequestLines(logging.Filter):
    """Drops the development server's per-request lines (request line with its query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.endswith(WERKZEUG_REQUEST_LINE))


def init_app(app: Flask) -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(existing, WerkzeugRequestLines) for existing in werkzeug_log.filters):
        werkzeug_log.addFilter(WerkzeugRequestLines())

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.pop("request_started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        user = g.get("_login_user")
        log.info(
            "method=%s path=%s status=%s ms=%.0f user=%s org=%s htmx=%s",
            request.method, _path(), response.status_code, duration_ms,
            getattr(user, "id", "-"), getattr(user, "organisation_id", "-"),
            "1" if request.headers.get("HX-Request") else "0",
        )
        return response


def _path() -> str:
    if "log_path" in g:
        return g.log_path
    if request.url_rule is not None and "token" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path
