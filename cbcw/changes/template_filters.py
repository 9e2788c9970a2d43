"""Jinja filters of the change pages: how the domain's text is marked up for display."""
from typing import Optional

from flask import Flask
from markupsafe import Markup, escape

from cbcw.changes.mentions import split_mentions


def highlight_mentions(text: Optional[str], unresolved: list[str]) -> Markup:
    """The text, HTML-escaped, with each `@hostname` marked as linked or unresolved."""
    missing = {name.lower() for name in unresolved or ()}
    parts = []
    for piece, name in split_mentions(text):
        if name is None:
            parts.append(escape(piece))
        else:
            css = "mention-unresolved" if name.lower() in missing else "mention"
            parts.append(Markup('<span class="%s">%s</span>') % (css, piece))
    return Markup("").join(parts)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["mentions"] = highlight_mentions
