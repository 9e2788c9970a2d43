"""One rule for HTMX partials (STYLE: each fragment written once)."""
from urllib.parse import parse_qsl, urlsplit

from flask import Response, make_response, render_template, request

from cbcw.extensions import htmx


def wants_partial() -> bool:
    """An HTMX swap, but not a history restore (which needs the whole page)."""
    return bool(htmx) and not htmx.history_restore_request


def render_partial_or_page(partial_template: str, page_template: str, /, **context) -> Response:
    """The fragment alone for an HTMX swap, the full page otherwise; varies on HX-Request."""
    partial = wants_partial()
    response = make_response(render_template(partial_template if partial else page_template, **context))
    response.vary.add("HX-Request")
    if partial and _asks_for_the_current_url():
        # A filter control already pushed this URL (the State dropdown, then its Filter button):
        # pushing it again would add a history entry that Back stays on.
        response.headers["HX-Push-Url"] = "false"
    return response


def _asks_for_the_current_url() -> bool:
    """The GET names the page the browser shows (same path, same parameters in any order)."""
    try:
        current = urlsplit(htmx.current_url or "")
    except ValueError:  # a hostile header ("http://[::1"): not the page shown
        return False
    return (request.method == "GET" and current.path == request.path
            and sorted(parse_qsl(current.query, keep_blank_values=True)) == sorted(request.args.items(multi=True)))
