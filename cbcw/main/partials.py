"""One rule for HTMX partials (STYLE: each fragment written once)."""
from flask import Response, make_response, render_template

from cbcw.extensions import htmx


def wants_partial() -> bool:
    """An HTMX swap, but not a history restore (which needs the whole page)."""
    return bool(htmx) and not htmx.history_restore_request


def render_partial_or_page(partial_template: str, page_template: str, /, **context) -> Response:
    """The fragment alone for an HTMX swap, the full page otherwise; varies on HX-Request."""
    template = partial_template if wants_partial() else page_template
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response
