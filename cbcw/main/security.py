"""Security headers on every response (PRODUCT §4).

The Content-Security-Policy allows scripts and styles from this site's own files only: no inline
`<script>`, no `style=` attribute, no `hx-on` handler (htmx evaluates those with `Function`), no
htmx-injected indicator style, no style attribute written back by htmx's settle step or its
history snapshots (all turned off by the `htmx-config` meta tag in `base.html`).
"""
from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Pages and fragments show organisation data: never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
    return response
