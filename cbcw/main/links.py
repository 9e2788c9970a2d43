"""Absolute links on APP_BASE_URL, never on the request's Host header.

Mail, calendar feeds and anything else read outside the browser tab that asked for it carry
absolute links; a Host header is whatever the client sent, so those links are built on the
configured address instead."""
from flask import current_app, url_for


def absolute(path: str) -> str:
    """`path` (starting with "/") on APP_BASE_URL."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + path


def absolute_for(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` on APP_BASE_URL."""
    return absolute(url_for(endpoint, **values))
