"""One log line per request, as key=value pairs a log pipeline can parse without secrets in it.

The path is logged without its query string (search words, tokens); a path that itself holds a
secret (a URL rule taking a `token` or a `key`: a private feed, an invitation, an integration's
callback address) is logged as its rule (`/calendar/feed/<token>.ics`), whatever the method: a
GET of a POST-only callback address (405) is masked as well as the POST. The user is the one
Flask-Login already loaded for the request: logging never adds a database query.

This line replaces the servers' own request lines, which hold the full URL (tokens included):
gunicorn runs without an access log (deploy/), and werkzeug's development server's request lines
are dropped by `WerkzeugRequestLines` (its other messages, such as the address it serves, stay).
"""
import logging
import time

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

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


SECRET_ARGUMENTS = frozenset({"token", "key"})


def _path() -> str:
    rule, arguments = request.url_rule, request.view_args or {}
    if rule is None:  # no rule for this method (405) or none at all (404): which rule takes the path?
        rule, arguments = _rule_for_any_method()
    if rule is not None and SECRET_ARGUMENTS & set(arguments):
        return rule.rule
    return request.path


def _rule_for_any_method():
    """The rule and arguments the path matches with a method it allows, or (None, {})."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(return_rule=True)
    except MethodNotAllowed as refused:
        for method in refused.valid_methods or ():
            try:
                return adapter.match(method=method, return_rule=True)
            except HTTPException:
                continue
    except HTTPException:
        pass
    return None, {}
